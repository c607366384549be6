package org.blvm.policy;

import java.nio.file.Path;

/**
 * The loader's own admission state (version ratchet file, binary store) cannot be read or written,
 * or is not private to the loader. The module is refused: admission never proceeds without it.
 */
public final class AdmissionStateException extends AdmissionException {
  private static final long serialVersionUID = 1L;

  private final transient Path file;

  public AdmissionStateException(Path file, String reason) {
    super(file + ": " + reason);
    this.file = file;
  }

  public AdmissionStateException(Path file, String reason, Throwable cause) {
    super(file + ": " + reason, cause);
    this.file = file;
  }

  public Path file() {
    return file;
  }
}
