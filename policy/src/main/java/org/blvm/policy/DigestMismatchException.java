package org.blvm.policy;

import java.nio.file.Path;

/** The binary's SHA-256 is not the one the signed manifest pins. */
public final class DigestMismatchException extends AdmissionException {
  private static final long serialVersionUID = 1L;

  private final transient Path file;
  private final Sha256 expected;
  private final Sha256 found;

  public DigestMismatchException(Path file, Sha256 expected, Sha256 found) {
    super(file + ": SHA-256 is " + found + ", the signed manifest pins " + expected);
    this.file = file;
    this.expected = expected;
    this.found = found;
  }

  public Path file() {
    return file;
  }

  public Sha256 expected() {
    return expected;
  }

  public Sha256 found() {
    return found;
  }
}
