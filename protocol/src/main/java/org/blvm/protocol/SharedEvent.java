package org.blvm.protocol;

/**
 * An event encoded once ({@link DirectEncoder#encodeShared}) for delivery to many connections.
 * Holds the CBOR bytes of everything but the per-connection {@code kind} and {@code seq} keys.
 */
public final class SharedEvent {
  private final String type;
  private final byte[] tail;

  SharedEvent(String type, byte[] tail) {
    this.type = type;
    this.tail = tail;
  }

  public String type() {
    return type;
  }

  /** Size of the shared part in bytes (the payload dominates). */
  public int tailLength() {
    return tail.length;
  }

  byte[] tail() {
    return tail;
  }
}
