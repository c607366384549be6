package org.blvm.policy;

import java.nio.file.Path;

/**
 * The signature's trusted comment is not {@code blvm-module/1 name=<name> version=<version>} for
 * this manifest: the signature was made for another module, another version, or another purpose.
 */
public final class TrustedCommentMismatchException extends AdmissionException {
  private static final long serialVersionUID = 1L;

  private final transient Path file;
  private final String expected;
  private final String found;

  public TrustedCommentMismatchException(Path file, String expected, String found) {
    super(
        file.getFileName()
            + ": trusted comment is \""
            + found
            + "\", expected \""
            + expected
            + "\"");
    this.file = file;
    this.expected = expected;
    this.found = found;
  }

  public Path file() {
    return file;
  }

  public String expected() {
    return expected;
  }

  public String found() {
    return found;
  }
}
