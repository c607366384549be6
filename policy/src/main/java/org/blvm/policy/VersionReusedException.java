package org.blvm.policy;

/**
 * The module has the version that was accepted before, but different contents: a release was
 * changed without a version bump. {@link #what()} says which digest differs ("binary" or
 * "manifest").
 */
public final class VersionReusedException extends AdmissionException {
  private static final long serialVersionUID = 1L;

  private final String module;
  private final SemVer version;
  private final String what;
  private final Sha256 recorded;
  private final Sha256 found;

  public VersionReusedException(
      String module, SemVer version, String what, Sha256 recorded, Sha256 found) {
    super(
        "module "
            + module
            + ": version "
            + version
            + " was accepted with "
            + what
            + " SHA-256 "
            + recorded
            + ", now it is "
            + found
            + " (same version, different contents: bump the version)");
    this.module = module;
    this.version = version;
    this.what = what;
    this.recorded = recorded;
    this.found = found;
  }

  public String module() {
    return module;
  }

  public SemVer version() {
    return version;
  }

  public String what() {
    return what;
  }

  public Sha256 recorded() {
    return recorded;
  }

  public Sha256 found() {
    return found;
  }
}
