package org.blvm.loader;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Relays node events to their subscribers and wakes writer threads, on behalf of the threads that
 * publish, so that a publishing node thread does no per-subscriber work and makes no wake-up system
 * call itself (docs/concurrency.md).
 *
 * <p>Relay: {@link ModuleManager#publish} hands this thread one task per event (encode once, then
 * queue it for every subscriber); tasks run one at a time in the order they were handed over, so
 * every module sees node events in publish order. The backlog is bounded ({@link #MAX_BACKLOG}): a
 * publisher that finds it over the bound runs queued tasks itself, in order, until it is back
 * within the bound — about one task per publish — waiting at most for the task in progress, which
 * never waits on a module. {@link #flush} runs every queued task. After each task the writers
 * handed over meanwhile are woken, so a long backlog never leaves a writer asleep while its queue
 * fills.
 *
 * <p>Wake-ups: when {@link OutboundQueue#offerEvent} queues an event for a writer that waits for
 * work, it hands the queue to this thread instead of notifying the writer; this thread then
 * notifies it.
 *
 * <p>After it last had work the thread polls its queue every {@link #POLL_NANOS} for {@link
 * #POLL_WINDOW_NANOS}, and only then parks until a publisher unparks it. So while events keep
 * coming at least every few milliseconds a publisher does no system call at all (it only adds to a
 * lock-free queue and reads a volatile), at the price of up to about {@code POLL_NANOS} plus the
 * kernel's timer slack (50 µs by default) of extra latency for an event that finds its writer
 * asleep. The first event after a quiet period costs its publisher one {@code unpark}.
 *
 * <p>Handing off is Dekker-style: a publisher adds the connection to the queue and then reads the
 * state; this thread sets the state to PARKED and then checks the queue again before it parks. Both
 * are sequentially consistent, so either this thread sees the connection or the publisher sees
 * PARKED and unparks it. {@link #close} works the same way with the closed flag: after it, a
 * publisher notifies the writer itself.
 */
final class EventRelay implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger("blvm.loader.relay");

  /** How often the thread looks at its queue while it polls. */
  static final long POLL_NANOS = 200_000;

  /** How long it keeps polling after its last work before it parks until unparked. */
  static final long POLL_WINDOW_NANOS = TimeUnit.MILLISECONDS.toNanos(5);

  private static final int RUNNING = 0;
  private static final int PARKED = 1;

  /** Relay tasks not yet run beyond which a publisher runs them itself. */
  static final int MAX_BACKLOG = 65_536;

  private final ConcurrentLinkedQueue<OutboundQueue> pending = new ConcurrentLinkedQueue<>();

  /** Relay tasks in publish order; run only under {@link #relayLock}, so strictly in order. */
  private final ConcurrentLinkedQueue<Runnable> relay = new ConcurrentLinkedQueue<>();

  private final ReentrantLock relayLock = new ReentrantLock();
  private final AtomicInteger backlog = new AtomicInteger();
  private final AtomicInteger state = new AtomicInteger(RUNNING);
  private final Thread thread;
  private volatile boolean closed;

  /** Publisher-side unparks (for tests and diagnostics). */
  private final AtomicLong unparks = new AtomicLong();

  EventRelay(String name) {
    thread = new Thread(this::run, name);
    thread.setDaemon(true);
    thread.start();
  }

  /**
   * Asks for the writer of queue {@code c} to be notified soon. Called by a publisher after it
   * queued an event for a waiting writer (not under the connection's lock). Never blocks; makes a
   * system call only when the waker is parked for good (one {@code unpark}), or after {@link
   * #close} (then the caller notifies the writer itself).
   */
  void wakeLater(OutboundQueue c) {
    pending.offer(c);
    if (closed) {
      // the thread may have drained for the last time already: do its work here
      drain();
      return;
    }
    if (state.get() == PARKED && state.compareAndSet(PARKED, RUNNING)) {
      unparks.incrementAndGet();
      LockSupport.unpark(thread);
    }
  }

  /**
   * Hands over one relay task (a node event's fan-out). Never waits on a module; makes a system
   * call only when the thread is parked for good (one {@code unpark}). Over the backlog bound the
   * caller runs queued tasks itself until it is back within it (about one per call); after {@link
   * #close} it runs them all.
   */
  void relay(Runnable task) {
    relay.offer(task);
    int queued = backlog.incrementAndGet();
    if (closed) {
      runRelayed();
      return;
    }
    if (queued > MAX_BACKLOG) {
      while (backlog.get() > MAX_BACKLOG && runOne()) {
        // in order, one task at a time, until back within the bound
      }
      return;
    }
    if (state.get() == PARKED && state.compareAndSet(PARKED, RUNNING)) {
      unparks.incrementAndGet();
      LockSupport.unpark(thread);
    }
  }

  /**
   * Runs every relay task handed over so far, on the calling thread if this thread is not already
   * running them: when it returns, every event published before the call has been queued for its
   * subscribers.
   */
  void flush() {
    runRelayed();
    // a task the thread took before the queue ran empty may still be running: wait for it
    relayLock.lock();
    relayLock.unlock();
  }

  private void runRelayed() {
    while (runOne()) {
      // until the queue is empty
    }
  }

  /**
   * Runs the oldest queued task under {@link #relayLock} (so tasks run strictly in queue order, one
   * at a time), then wakes the writers handed over meanwhile. False when none was queued.
   */
  private boolean runOne() {
    relayLock.lock();
    try {
      Runnable r = relay.poll();
      if (r == null) {
        return false;
      }
      backlog.decrementAndGet();
      try {
        r.run();
      } catch (RuntimeException | Error e) {
        LOG.log(System.Logger.Level.ERROR, "relaying an event failed", e);
      }
    } finally {
      relayLock.unlock();
    }
    drain();
    return true;
  }

  /** Relay tasks queued and not yet taken (for tests). */
  int backlog() {
    return backlog.get();
  }

  long unparks() {
    return unparks.get();
  }

  boolean isAlive() {
    return thread.isAlive();
  }

  /** True while the thread is parked until a publisher unparks it (for tests). */
  boolean isParked() {
    return state.get() == PARKED;
  }

  private void run() {
    long lastWork = System.nanoTime();
    while (true) {
      if (!relay.isEmpty()) {
        runRelayed();
        lastWork = System.nanoTime();
        continue;
      }
      OutboundQueue c = pending.poll();
      if (c != null) {
        wake(c);
        lastWork = System.nanoTime();
        continue;
      }
      if (closed) {
        runRelayed();
        drain();
        return;
      }
      Thread.interrupted(); // an interrupt must not turn the parks below into a busy loop
      if (System.nanoTime() - lastWork < POLL_WINDOW_NANOS) {
        LockSupport.parkNanos(this, POLL_NANOS);
        continue;
      }
      state.set(PARKED);
      if (!pending.isEmpty() || !relay.isEmpty() || closed) {
        state.set(RUNNING);
        continue;
      }
      LockSupport.park(this);
      state.set(RUNNING);
      lastWork = System.nanoTime();
    }
  }

  private void drain() {
    OutboundQueue c;
    while ((c = pending.poll()) != null) {
      wake(c);
    }
  }

  private static void wake(OutboundQueue c) {
    try {
      c.wakeWriter();
    } catch (RuntimeException | Error e) {
      LOG.log(System.Logger.Level.ERROR, "waking a writer failed", e);
    }
  }

  /**
   * Stops the thread after it has notified every writer handed to it; waits for it at most 2 s.
   * Events queued afterwards are notified by their publisher.
   */
  @Override
  public void close() {
    closed = true;
    LockSupport.unpark(thread);
    try {
      thread.join(2_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    // in case the thread did not get to it (it always drains before it ends)
    runRelayed();
    drain();
  }
}
