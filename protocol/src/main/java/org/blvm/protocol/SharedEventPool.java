package org.blvm.protocol;

import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Reused {@link SharedEvent}s, so that encoding an event once for all its subscribers allocates
 * nothing in the steady state. Events are kept by size class (buffers of 256 B to 16 KiB, powers of
 * two), at most {@link #MAX_FREE_BYTES} of free buffers per class; a larger event gets an exact
 * array that is not pooled. An event comes back when its last holder releases it ({@link
 * SharedEvent#release}). Thread-safe: any thread returns events (a lock-free stack per class);
 * taking one is serialised on the pool's monitor, so the stack has one popper at a time and no ABA
 * problem.
 */
public final class SharedEventPool {
  /** The smallest buffer, bytes. */
  static final int MIN_BYTES = 256;

  /** The largest pooled buffer, bytes; a longer event is not pooled. */
  public static final int MAX_POOLED_BYTES = 16 * 1024;

  /** Free buffers kept per size class, in bytes. */
  static final int MAX_FREE_BYTES = 1 << 20;

  private static final int CLASSES =
      Integer.numberOfTrailingZeros(MAX_POOLED_BYTES)
          - Integer.numberOfTrailingZeros(MIN_BYTES)
          + 1;

  private final AtomicReferenceArray<SharedEvent> free = new AtomicReferenceArray<>(CLASSES);
  private final AtomicIntegerArray freeCounts = new AtomicIntegerArray(CLASSES);
  private final AtomicLong created = new AtomicLong();

  /** The size class of a buffer for {@code length} bytes, or -1 when too long to pool. */
  static int sizeClass(int length) {
    if (length > MAX_POOLED_BYTES) {
      return -1;
    }
    if (length <= MIN_BYTES) {
      return 0;
    }
    return 32 - Integer.numberOfLeadingZeros(length - 1) - Integer.numberOfTrailingZeros(MIN_BYTES);
  }

  /**
   * An event of {@code type} whose first {@code length} bytes the caller fills before handing it to
   * anyone; the caller is its one holder. Not pooled when {@code length} is over {@link
   * #MAX_POOLED_BYTES}.
   */
  SharedEvent take(String type, int length) {
    int c = sizeClass(length);
    if (c < 0) {
      return new SharedEvent(type, new byte[length]);
    }
    SharedEvent e = pop(c);
    if (e == null) {
      created.incrementAndGet();
      e = new SharedEvent(this, c, MIN_BYTES << c);
    }
    e.reuse(type, length);
    return e;
  }

  private synchronized SharedEvent pop(int c) {
    while (true) {
      SharedEvent top = free.get(c);
      if (top == null) {
        return null;
      }
      if (free.compareAndSet(c, top, top.next)) {
        top.next = null;
        freeCounts.decrementAndGet(c);
        return top;
      }
    }
  }

  /** Takes back an event whose last holder released it (or lets it go when the class is full). */
  void recycle(SharedEvent e) {
    int c = e.sizeClass;
    if (freeCounts.get(c) >= MAX_FREE_BYTES / (MIN_BYTES << c)) {
      return;
    }
    freeCounts.incrementAndGet(c);
    SharedEvent top;
    do {
      top = free.get(c);
      e.next = top;
    } while (!free.compareAndSet(c, top, e));
  }

  /** Pooled events created so far (for tests and measurements). */
  public long created() {
    return created.get();
  }

  /** Free events of the size class for {@code length} bytes (for tests). */
  int free(int length) {
    return freeCounts.get(sizeClass(length));
  }
}
