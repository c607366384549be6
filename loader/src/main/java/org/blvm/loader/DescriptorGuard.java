package org.blvm.loader;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Keeps a file descriptor open while system calls that use its number are in flight. A closed
 * descriptor's number is handed to the next file the process opens, so a call made with a stale
 * number could reach another module's socket. Users {@link #enter} and {@link #exit} around each
 * call; {@link #close} runs the closer at once when no call is in flight, else the last call to
 * {@link #exit} runs it. The closer runs exactly once, and no call enters after a close request.
 * Never blocks.
 */
final class DescriptorGuard {
  private static final int CLOSING = 1 << 30;
  private static final int CLOSED = 1 << 29;
  private static final int USERS = CLOSED - 1;

  /** CLOSING, CLOSED, and the number of calls in flight. */
  private final AtomicInteger state = new AtomicInteger();

  private final Runnable closer;

  DescriptorGuard(Runnable closer) {
    this.closer = closer;
  }

  /** Takes a use; false once a close was requested (the caller must not use the descriptor). */
  boolean enter() {
    while (true) {
      int s = state.get();
      if ((s & CLOSING) != 0) {
        return false;
      }
      if ((s & USERS) == USERS) {
        throw new IllegalStateException("too many concurrent uses");
      }
      if (state.compareAndSet(s, s + 1)) {
        return true;
      }
    }
  }

  /** Ends a use taken by {@link #enter}. */
  void exit() {
    int s = state.decrementAndGet();
    if (s == CLOSING) {
      closeOnce();
    }
  }

  /** Requests the close: now if no call is in flight, else when the last one exits. */
  void close() {
    int before = state.getAndUpdate(s -> s | CLOSING);
    if ((before & USERS) == 0) {
      closeOnce();
    }
  }

  private void closeOnce() {
    int before = state.getAndUpdate(s -> s | CLOSED);
    if ((before & CLOSED) == 0) {
      closer.run();
    }
  }
}
