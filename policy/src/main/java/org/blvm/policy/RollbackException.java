package org.blvm.policy;

/** The module is older than the highest version of it this loader has already accepted. */
public final class RollbackException extends AdmissionException {
  private static final long serialVersionUID = 1L;

  private final String module;
  private final SemVer highest;
  private final SemVer found;

  public RollbackException(String module, SemVer highest, SemVer found) {
    super(
        "module "
            + module
            + ": version "
            + found
            + " is older than "
            + highest
            + ", which was already accepted (rollback refused)");
    this.module = module;
    this.highest = highest;
    this.found = found;
  }

  public String module() {
    return module;
  }

  public SemVer highest() {
    return highest;
  }

  public SemVer found() {
    return found;
  }
}
