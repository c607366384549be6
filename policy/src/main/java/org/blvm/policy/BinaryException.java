package org.blvm.policy;

import java.nio.file.Path;

/** The module's binary cannot be used: missing, not a regular file, a symlink, unreadable. */
public final class BinaryException extends AdmissionException {
  private static final long serialVersionUID = 1L;

  private final transient Path file;
  private final String reason;

  public BinaryException(Path file, String reason) {
    super(file + ": " + reason);
    this.file = file;
    this.reason = reason;
  }

  public BinaryException(Path file, String reason, Throwable cause) {
    super(file + ": " + reason, cause);
    this.file = file;
    this.reason = reason;
  }

  public Path file() {
    return file;
  }

  public String reason() {
    return reason;
  }
}
