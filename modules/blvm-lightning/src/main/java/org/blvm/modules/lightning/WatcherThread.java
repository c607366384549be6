package org.blvm.modules.lightning;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The module's one worker thread, {@code blvm-lightning-watcher}: runs the work the event handlers
 * hand it, in order, after a start task (the catch-up with the node) and each followed by the after
 * task (storing and reporting). Its queue is bounded: when it is full a piece of work is dropped
 * and the start task runs again before the next one, which brings every payment up to date anyway.
 */
final class WatcherThread implements SettlementProvider.Watcher {
  static final int QUEUE = 10_000;

  /** Reports a piece of work that failed; the thread carries on. */
  @FunctionalInterface
  interface Failures {
    void failed(String what, Exception e);
  }

  private record Item(String what, SettlementProvider.Work work) {}

  private final BlockingQueue<Item> queue = new ArrayBlockingQueue<>(QUEUE);
  private final AtomicBoolean gap = new AtomicBoolean(true);
  private final CountDownLatch go = new CountDownLatch(1);
  private final SettlementProvider.Work start;
  private final SettlementProvider.Work after;
  private final Failures failures;
  private final Thread thread;
  private volatile boolean stopping;

  WatcherThread(SettlementProvider.Work start, SettlementProvider.Work after, Failures failures) {
    this.start = start;
    this.after = after;
    this.failures = failures;
    this.thread = new Thread(this::loop, "blvm-lightning-watcher");
    this.thread.setDaemon(true);
    this.thread.start();
  }

  /** Lets the thread begin (with the start task); work submitted before waits. */
  void begin() {
    go.countDown();
  }

  /** Makes the start task run again before the next piece of work. */
  void resync() {
    gap.set(true);
    submit("resync", () -> {});
  }

  @Override
  public void submit(String what, SettlementProvider.Work work) {
    if (!queue.offer(new Item(what, work))) {
      gap.set(true);
    }
  }

  /** Stops after the piece of work in progress; waits at most {@code millis}. */
  void stop(long millis) throws InterruptedException {
    stopping = true;
    thread.interrupt();
    thread.join(millis);
  }

  private void loop() {
    try {
      go.await();
      while (!stopping) {
        if (gap.getAndSet(false)) {
          run("catching up with the node", start);
        }
        Item i = queue.poll(1, TimeUnit.SECONDS);
        if (i != null) {
          run(i.what(), i.work());
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void run(String what, SettlementProvider.Work work) {
    try {
      work.run();
      after.run();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      stopping = true;
    } catch (Exception e) {
      if (!stopping) {
        gap.set(true);
        failures.failed(what, e);
      }
    }
  }
}
