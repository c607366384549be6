package org.blvm.sandbox;

import java.io.IOException;

/** The sandbox could not be built or the process could not be started inside it. */
public class SandboxException extends IOException {
  public SandboxException(String message) {
    super(message);
  }

  public SandboxException(String message, Throwable cause) {
    super(message, cause);
  }
}
