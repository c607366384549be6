package org.blvm.sandbox;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Host-side settings of the sandbox.
 *
 * @param bwrap absolute path of bubblewrap
 * @param setpriv absolute path of util-linux setpriv (used only when the loader runs as root)
 * @param prlimit absolute path of util-linux prlimit (used only when the loader runs as root
 *     without CAP_SYS_RESOURCE: it sets the limits as the sandbox user)
 * @param user the unprivileged host user sandboxes run as when the loader is root (null: the
 *     loader's own uid, which must then not be root)
 */
public record SandboxOptions(Path bwrap, Path setpriv, Path prlimit, String user) {
  public SandboxOptions {
    Objects.requireNonNull(bwrap, "bwrap");
    Objects.requireNonNull(setpriv, "setpriv");
    Objects.requireNonNull(prlimit, "prlimit");
  }

  /** The sandbox user a root loader uses unless told otherwise. */
  public static final String DEFAULT_USER = "blvm-sandbox";

  /**
   * /usr/bin/bwrap, /usr/bin/setpriv, /usr/bin/prlimit and the user from system property {@code
   * blvm.sandboxUser}, by default {@value #DEFAULT_USER} (used only when the loader runs as root).
   */
  public static SandboxOptions defaults() {
    String u = System.getProperty("blvm.sandboxUser");
    return new SandboxOptions(
        Path.of("/usr/bin/bwrap"),
        Path.of("/usr/bin/setpriv"),
        Path.of("/usr/bin/prlimit"),
        u == null || u.isBlank() ? DEFAULT_USER : u);
  }

  public SandboxOptions withUser(String user) {
    return new SandboxOptions(bwrap, setpriv, prlimit, user);
  }

  /** uid and gid of {@link #user} from /etc/passwd, or null when absent. */
  int[] resolveUser() throws IOException {
    if (user == null) {
      return null;
    }
    for (String line : Files.readAllLines(Path.of("/etc/passwd"))) {
      String[] f = line.split(":", -1);
      if (f.length >= 4 && f[0].equals(user)) {
        return new int[] {Integer.parseInt(f[2]), Integer.parseInt(f[3])};
      }
    }
    return null;
  }
}
