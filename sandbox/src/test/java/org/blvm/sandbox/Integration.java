package org.blvm.sandbox;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/**
 * Gate of the sandbox integration tests: the host must pass the preflight. A skip prints its
 * reason; with -Dblvm.requireIntegration=true a skip is a failure.
 */
final class Integration {
  private static Sandbox sandbox;
  private static String reason;

  private Integration() {}

  static synchronized Sandbox sandbox() {
    if (sandbox == null && reason == null) {
      SandboxOptions o = SandboxOptions.defaults();
      if (!Files.isExecutable(o.bwrap())) {
        reason = "bubblewrap is not installed at " + o.bwrap() + " (apt-get install -y bubblewrap)";
      } else {
        try {
          sandbox = Sandboxes.bubblewrap(o);
        } catch (SandboxException e) {
          reason = e.getMessage();
        }
      }
    }
    if (sandbox == null) {
      String msg = "sandbox integration test skipped: " + reason;
      System.err.println(msg);
      if (Boolean.getBoolean("blvm.requireIntegration")) {
        throw new AssertionError(
            msg + " (blvm.requireIntegration=true turns this skip into a failure)");
      }
      Assumptions.abort(msg);
    }
    return sandbox;
  }

  static Path helper() {
    String p = System.getProperty("blvm.tryHelper");
    if (p == null || !Files.isExecutable(Path.of(p))) {
      throw new IllegalStateException("blvm.tryHelper does not name the compiled helper: " + p);
    }
    return Path.of(p);
  }
}
