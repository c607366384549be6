package org.blvm.policy;

import java.nio.file.Path;

/** The manifest is larger than the bound it is read with (it is never parsed or hashed whole). */
public final class ManifestTooLargeException extends AdmissionException {
  private static final long serialVersionUID = 1L;

  private final transient Path file;
  private final long maxBytes;
  private final long foundBytes;

  public ManifestTooLargeException(Path file, long maxBytes, long foundBytes) {
    super(file + ": manifest is " + foundBytes + " bytes, the maximum is " + maxBytes);
    this.file = file;
    this.maxBytes = maxBytes;
    this.foundBytes = foundBytes;
  }

  public Path file() {
    return file;
  }

  public long maxBytes() {
    return maxBytes;
  }

  public long foundBytes() {
    return foundBytes;
  }
}
