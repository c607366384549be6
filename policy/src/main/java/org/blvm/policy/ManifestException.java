package org.blvm.policy;

import java.nio.file.Path;

/** A module.toml that cannot be accepted; the message names the file and the key. */
public final class ManifestException extends AdmissionException {
  private static final long serialVersionUID = 1L;

  private final transient Path file;
  private final String key;

  public ManifestException(Path file, String key, String message) {
    super(file + (key == null ? "" : ": key \"" + key + "\"") + ": " + message);
    this.file = file;
    this.key = key;
  }

  public ManifestException(Path file, String key, String message, Throwable cause) {
    this(file, key, message);
    initCause(cause);
  }

  /** The manifest file. */
  public Path file() {
    return file;
  }

  /** The offending key (dotted), or null when the file as a whole is at fault. */
  public String key() {
    return key;
  }
}
