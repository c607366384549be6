package org.blvm.sandbox;

/** A seccomp profile that cannot be read or is invalid; names the profile and the problem. */
public final class ProfileException extends SandboxException {
  private final String profile;

  public ProfileException(String profile, String problem) {
    super("seccomp profile " + profile + ": " + problem);
    this.profile = profile;
  }

  public String profile() {
    return profile;
  }
}
