package org.blvm.policy;

/**
 * A rollback the version ratchet does not allow: the module was rolled back already from its
 * highest version and a second rollback, to anything older, is refused; or the ratchet's highest
 * version is no longer the one the rollback started from.
 */
public final class RollbackRefusedException extends AdmissionException {
  private static final long serialVersionUID = 1L;

  private final String module;
  private final String version;

  public RollbackRefusedException(String module, String version, String rule) {
    super("module " + module + " " + version + ": rollback refused: " + rule);
    this.module = module;
    this.version = version;
  }

  public String module() {
    return module;
  }

  /** The version the rollback would have run. */
  public String version() {
    return version;
  }
}
