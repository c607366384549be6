package org.blvm.modules.mesh;

import java.io.IOException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * When {@code mesh-state.json} is written: only after something {@link #changed}, and at most once
 * per {@link #MIN_GAP_NANOS} of the injected nano-time source, however many changes and however
 * many callers ask in between. The module's timer asks every second.
 */
final class StateWrites {
  /** The least time between two writes. */
  static final long MIN_GAP_NANOS = TimeUnit.SECONDS.toNanos(1);

  /** Writes the file; an exception leaves the change pending for the next attempt. */
  interface Writer {
    void write() throws IOException;
  }

  private final LongSupplier nanos;
  private final AtomicBoolean dirty = new AtomicBoolean(true);
  private final AtomicLong writes = new AtomicLong();
  private final Object lock = new Object();
  private boolean wroteBefore;
  private long lastWriteNanos;

  StateWrites(LongSupplier nanos) {
    this.nanos = nanos;
  }

  /** Something the file holds changed: the next due {@link #writeIfDue} writes it. */
  void changed() {
    dirty.set(true);
  }

  /**
   * Writes with {@code writer} when something changed and the last write is at least {@link
   * #MIN_GAP_NANOS} ago. The decision is taken under a lock, the write outside it.
   */
  void writeIfDue(Writer writer) throws IOException {
    synchronized (lock) {
      long now = nanos.getAsLong();
      if (!dirty.get() || (wroteBefore && now - lastWriteNanos < MIN_GAP_NANOS)) {
        return;
      }
      dirty.set(false);
      wroteBefore = true;
      lastWriteNanos = now;
    }
    try {
      writer.write();
    } catch (IOException | RuntimeException e) {
      dirty.set(true);
      throw e;
    }
    writes.incrementAndGet();
  }

  /** How many writes succeeded. */
  long count() {
    return writes.get();
  }
}
