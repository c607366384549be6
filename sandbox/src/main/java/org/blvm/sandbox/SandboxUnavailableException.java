package org.blvm.sandbox;

/** The host cannot build the sandbox; carries the full preflight report. */
public final class SandboxUnavailableException extends SandboxException {
  private final PreflightReport report;

  public SandboxUnavailableException(PreflightReport report) {
    super("the module sandbox cannot be built on this host:\n" + report.describe());
    this.report = report;
  }

  public PreflightReport report() {
    return report;
  }
}
