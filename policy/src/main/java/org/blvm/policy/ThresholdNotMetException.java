package org.blvm.policy;

import java.util.List;

/**
 * Fewer distinct trusted keys signed than the policy requires. {@link #notCounted()} says why each
 * other signature did not count (one line per signature file).
 */
public final class ThresholdNotMetException extends AdmissionException {
  private static final long serialVersionUID = 1L;

  private final String module;
  private final int required;
  private final int found;
  private final List<String> notCounted;

  public ThresholdNotMetException(String module, int required, int found, List<String> notCounted) {
    super(
        "module "
            + module
            + ": needs signatures by "
            + required
            + " distinct trusted keys, found "
            + found
            + (notCounted.isEmpty() ? "" : "; not counted: " + String.join("; ", notCounted)));
    this.module = module;
    this.required = required;
    this.found = found;
    this.notCounted = List.copyOf(notCounted);
  }

  public String module() {
    return module;
  }

  public int required() {
    return required;
  }

  public int found() {
    return found;
  }

  public List<String> notCounted() {
    return notCounted;
  }
}
