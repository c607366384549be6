package org.blvm.loader;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.blvm.sandbox.Profile;
import org.blvm.sandbox.ProfileException;
import org.blvm.sandbox.ResourceLimits;
import org.blvm.sandbox.Sandbox;
import org.blvm.sandbox.SandboxException;
import org.blvm.sandbox.SandboxSpec;
import org.blvm.sandbox.SandboxedProcess;

/**
 * Runs a class-data dump in a sandbox of its own: the JVM limits and the default profile, the jar's
 * directory read-only, the work directory (handed to the sandbox user) the only writable one, no
 * network, no socket, as the sandbox user (never a module's uid); killed after {@value
 * #DEADLINE_SECONDS} s.
 */
final class SandboxedDump implements ClassDataArchives.Dumper {
  static final int DEADLINE_SECONDS = 300;
  private static final int OUTPUT_TAIL = 2048;

  private final Sandbox sandbox;

  SandboxedDump(Sandbox sandbox) {
    this.sandbox = sandbox;
  }

  @Override
  public int dump(Path java, List<String> args, Path jarDir, Path workDir) throws IOException {
    sandbox.giveToSandbox(workDir, -1);
    Profile profile;
    try {
      profile = Profile.named(LaunchDefaults.PROFILE);
    } catch (ProfileException e) {
      throw new IOException(e.getMessage(), e);
    }
    SandboxSpec spec =
        new SandboxSpec(
            "class-data",
            SandboxSpec.Runtime.JAVA,
            java,
            args,
            Map.of("PATH", "/usr/bin:/bin", "LANG", "C.UTF-8"),
            List.of(jarDir),
            List.of(workDir),
            null,
            workDir,
            profile,
            ResourceLimits.jvmDefaults(),
            false,
            -1);
    SandboxedProcess p;
    try {
      p = sandbox.start(spec);
    } catch (SandboxException e) {
      throw new IOException("cannot start the dump's sandbox: " + e.getMessage(), e);
    }
    Thread deadline =
        new Thread(
            () -> {
              try {
                p.onExit().get(DEADLINE_SECONDS, TimeUnit.SECONDS);
              } catch (TimeoutException | InterruptedException | ExecutionException e) {
                p.kill(); // ends the output too, so the reader below returns
              }
            },
            "blvm-loader-class-data-deadline");
    deadline.setDaemon(true);
    deadline.start();
    byte[] tail = new byte[OUTPUT_TAIL];
    int kept = 0;
    try (InputStream out = p.output()) {
      byte[] buf = new byte[8192];
      for (int n; (n = out.read(buf)) > 0; ) { // ends when the sandbox ends (or is killed)
        int take = Math.min(n, OUTPUT_TAIL);
        int drop = Math.max(0, kept + take - OUTPUT_TAIL);
        System.arraycopy(tail, drop, tail, 0, kept - drop);
        kept -= drop;
        System.arraycopy(buf, n - take, tail, kept, take);
        kept += take;
      }
      int status = p.onExit().get(DEADLINE_SECONDS, TimeUnit.SECONDS);
      if (status != 0) { // killed at the deadline: 128 + 9
        throw new IOException(
            "the dump exited with status "
                + status
                + "; last output: "
                + new String(tail, 0, kept, StandardCharsets.UTF_8).strip());
      }
      return status;
    } catch (TimeoutException e) {
      p.kill();
      throw new IOException("the dump did not end within " + DEADLINE_SECONDS + " s; killed", e);
    } catch (InterruptedException e) {
      p.kill();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    } catch (ExecutionException e) {
      throw new IOException("the dump's sandbox failed: " + e.getCause(), e);
    }
  }
}
