package org.blvm.policy;

import java.nio.file.Path;

/** A signature file that is not a well-formed minisign signature (or key) file. */
public final class MalformedSignatureException extends AdmissionException {
  private static final long serialVersionUID = 1L;

  private final transient Path file;
  private final String reason;

  public MalformedSignatureException(Path file, String reason) {
    super(file + ": malformed signature: " + reason);
    this.file = file;
    this.reason = reason;
  }

  public Path file() {
    return file;
  }

  /** What is wrong, e.g. "line 2 is not valid base64". */
  public String reason() {
    return reason;
  }
}
