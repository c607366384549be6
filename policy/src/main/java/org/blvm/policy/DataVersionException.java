package org.blvm.policy;

/**
 * The module's {@code data_version} is lower than the highest that ran with its data: starting it
 * could meet data it cannot read (a downgrade of the data refused).
 */
public final class DataVersionException extends AdmissionException {
  private static final long serialVersionUID = 1L;

  private final String module;
  private final String version;
  private final int highest;
  private final int found;

  public DataVersionException(String module, String version, int highest, int found) {
    super(
        "module "
            + module
            + " "
            + version
            + ": data_version "
            + Integer.toString(found)
            + " is lower than "
            + Integer.toString(highest)
            + ", the highest that ran with its data (data downgrade refused)");
    this.module = module;
    this.version = version;
    this.highest = highest;
    this.found = found;
  }

  public String module() {
    return module;
  }

  public String version() {
    return version;
  }

  public int highest() {
    return highest;
  }

  public int found() {
    return found;
  }
}
