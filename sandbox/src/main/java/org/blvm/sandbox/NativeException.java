package org.blvm.sandbox;

import java.io.IOException;

/** A failed native call: what was called and the errno it returned. */
final class NativeException extends IOException {
  private final int errno;

  NativeException(String call, int errno) {
    super(call + " failed: errno " + errno);
    this.errno = errno;
  }

  int errno() {
    return errno;
  }
}
