package org.blvm.sandbox;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Host-side settings of the sandbox.
 *
 * @param bwrap absolute path of bubblewrap
 * @param setpriv absolute path of util-linux setpriv (used only when the loader runs as root and
 *     cannot use coreutils {@code /usr/sbin/chroot} for the identity change: without {@code
 *     CAP_SYS_CHROOT}, or where it is missing)
 * @param prlimit absolute path of util-linux prlimit (used only when the loader runs as root
 *     without CAP_SYS_RESOURCE: it sets the limits as the sandbox user)
 * @param user the unprivileged host user of a root loader's sandboxes (null: the loader's own uid,
 *     which must then not be root). Its group is the one every sandbox carries to enter the
 *     loader's directories; its uid runs the sandboxes that are given no uid of their own
 * @param moduleUids when the loader runs as root: the range it gives out one uid (and gid) per
 *     module from; null: every sandbox runs as {@code user}
 */
public record SandboxOptions(
    Path bwrap, Path setpriv, Path prlimit, String user, UidRange moduleUids) {
  public SandboxOptions {
    Objects.requireNonNull(bwrap, "bwrap");
    Objects.requireNonNull(setpriv, "setpriv");
    Objects.requireNonNull(prlimit, "prlimit");
  }

  /** The sandbox user a root loader uses unless told otherwise. */
  public static final String DEFAULT_USER = "blvm-sandbox";

  /**
   * /usr/bin/bwrap, /usr/bin/setpriv, /usr/bin/prlimit, the user from system property {@code
   * blvm.sandboxUser} (default {@value #DEFAULT_USER}) and the module uid range from {@code
   * blvm.sandboxUids} ("FIRST-LAST", or "none" for one shared user; default {@link
   * UidRange#DEFAULT}); user and range matter only when the loader runs as root.
   */
  public static SandboxOptions defaults() {
    String u = System.getProperty("blvm.sandboxUser");
    String r = System.getProperty("blvm.sandboxUids");
    UidRange range =
        r == null || r.isBlank()
            ? UidRange.DEFAULT
            : r.strip().equals("none") ? null : UidRange.parse(r);
    return new SandboxOptions(
        Path.of("/usr/bin/bwrap"),
        Path.of("/usr/bin/setpriv"),
        Path.of("/usr/bin/prlimit"),
        u == null || u.isBlank() ? DEFAULT_USER : u,
        range);
  }

  public SandboxOptions withUser(String user) {
    return new SandboxOptions(bwrap, setpriv, prlimit, user, moduleUids);
  }

  /** {@code range} null: one shared sandbox user, no uid per module. */
  public SandboxOptions withModuleUids(UidRange range) {
    return new SandboxOptions(bwrap, setpriv, prlimit, user, range);
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
