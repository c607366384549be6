package org.blvm.protocol;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;

/**
 * An event encoded once ({@link DirectEncoder#encodeShared}) for delivery to many connections.
 * Holds the CBOR bytes of everything but the per-connection {@code kind} and {@code seq} keys.
 *
 * <p>An event taken from a {@link SharedEventPool} is counted: whoever holds it past the call that
 * handed it over calls {@link #retain} first and {@link #release} once when done with it (sent,
 * dropped, or its queue closed); the last release returns its buffer to the pool, where the next
 * event overwrites it. An event not taken from a pool ignores both. A holder that keeps an event
 * without counting it must keep {@link #stable()} instead.
 */
public final class SharedEvent {
  private static final VarHandle REFS;

  static {
    try {
      REFS = MethodHandles.lookup().findVarHandle(SharedEvent.class, "refs", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final SharedEventPool pool;

  /** The pool's size class of {@link #tail} (-1: not pooled). */
  final int sizeClass;

  private final byte[] tail;
  private String type;
  private int length;

  /** Holders of a pooled event; 0 while it is in the pool. */
  @SuppressWarnings("unused") // through REFS
  private volatile int refs;

  /** The next free event in its pool's free list. */
  SharedEvent next;

  SharedEvent(String type, byte[] tail) {
    this.pool = null;
    this.sizeClass = -1;
    this.tail = tail;
    this.type = type;
    this.length = tail.length;
  }

  /** An empty pooled event with a buffer of {@code capacity} bytes. */
  SharedEvent(SharedEventPool pool, int sizeClass, int capacity) {
    this.pool = pool;
    this.sizeClass = sizeClass;
    this.tail = new byte[capacity];
  }

  /** Fills a pooled event taken from its pool; its one holder is the caller. */
  void reuse(String type, int length) {
    this.type = type;
    this.length = length;
    REFS.setRelease(this, 1);
  }

  public String type() {
    return type;
  }

  /** Size of the shared part in bytes (the payload dominates). */
  public int tailLength() {
    return length;
  }

  /** The shared part is the first {@link #tailLength} bytes. */
  byte[] tail() {
    return tail;
  }

  /** True when taken from a pool (then counted). */
  public boolean pooled() {
    return pool != null;
  }

  /** One more holder, who will call {@link #release} once. */
  public void retain() {
    if (pool != null && (int) REFS.getAndAdd(this, 1) <= 0) {
      throw new IllegalStateException("a pooled event retained after its last release");
    }
  }

  /** One holder fewer; the last one returns the event to its pool. */
  public void release() {
    if (pool == null) {
      return;
    }
    int left = (int) REFS.getAndAdd(this, -1) - 1;
    if (left == 0) {
      pool.recycle(this);
    } else if (left < 0) {
      throw new IllegalStateException("a pooled event released more often than retained");
    }
  }

  /** Holders now (for tests and diagnostics; 0 once back in the pool). */
  public int holders() {
    return (int) REFS.getVolatile(this);
  }

  /** This event if it is not pooled, else an uncounted copy that keeps its bytes for good. */
  public SharedEvent stable() {
    return pool == null ? this : new SharedEvent(type, Arrays.copyOf(tail, length));
  }
}
