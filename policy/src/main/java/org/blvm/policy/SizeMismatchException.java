package org.blvm.policy;

import java.nio.file.Path;

/**
 * The binary's size is not the one the signed manifest pins (checked while reading, so a file that
 * grows is not read past the pinned size plus one byte).
 */
public final class SizeMismatchException extends AdmissionException {
  private static final long serialVersionUID = 1L;

  private final transient Path file;
  private final long expected;
  private final long found;

  public SizeMismatchException(Path file, long expected, long found) {
    super(
        file
            + ": size is "
            + (found > expected ? "more than " + expected : String.valueOf(found))
            + " bytes, the signed manifest pins "
            + expected);
    this.file = file;
    this.expected = expected;
    this.found = found;
  }

  public Path file() {
    return file;
  }

  public long expected() {
    return expected;
  }

  /** The size read; when larger than expected, reading stopped at expected + 1. */
  public long found() {
    return found;
  }
}
