package org.blvm.sandbox;

/** Entry point: preflight the host and obtain a {@link Sandbox}. */
public final class Sandboxes {
  private Sandboxes() {}

  /** Probes bwrap, user namespaces, seccomp, prlimit and the sandbox user; reports every gap. */
  public static PreflightReport preflight(SandboxOptions options) {
    return Preflight.run(options);
  }

  /**
   * A bubblewrap sandbox, after a passing preflight.
   *
   * @throws SandboxUnavailableException listing every missing piece when the preflight fails
   */
  public static Sandbox bubblewrap(SandboxOptions options) throws SandboxException {
    PreflightReport r = Preflight.run(options);
    if (!r.ok()) {
      throw new SandboxUnavailableException(r);
    }
    for (String n : r.notices()) {
      System.getLogger("blvm.sandbox").log(System.Logger.Level.WARNING, n);
    }
    return BubblewrapSandbox.create(options);
  }
}
