package org.blvm.sdk;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.blvm.protocol.ErrorValue;

/**
 * The open, started and closed states of one client, shared by its parts. Closing happens once
 * ({@link #beginClose} is true for exactly one caller), and the reason is recorded before anything
 * is torn down. Handlers wait for {@link #markStarted} (connect has returned, or the client
 * closed).
 */
final class Lifecycle {
  private final AtomicBoolean closed = new AtomicBoolean();
  private final CountDownLatch started = new CountDownLatch(1);
  private final CountDownLatch shutDown = new CountDownLatch(1);
  private volatile ErrorValue closeReason;

  boolean isClosed() {
    return closed.get();
  }

  /** True for the one caller that closes the client; it must finish with {@link #markShutDown}. */
  boolean beginClose(ErrorValue reason) {
    if (!closed.compareAndSet(false, true)) {
      return false;
    }
    closeReason = reason;
    return true;
  }

  /** Why the client closed; null while open (and for a moment while it begins to close). */
  ErrorValue closeReason() {
    return closeReason;
  }

  /** Handlers may run from now on: connect has returned, or the client is closing. */
  void markStarted() {
    started.countDown();
  }

  void awaitStarted() throws InterruptedException {
    started.await();
  }

  /** Everything is closed: releases {@link #awaitShutdown}. */
  void markShutDown() {
    shutDown.countDown();
  }

  boolean awaitShutdown(Duration timeout) throws InterruptedException {
    return shutDown.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
  }

  void awaitShutdown() throws InterruptedException {
    shutDown.await();
  }
}
