package org.blvm.loader;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Relays node events to their subscribers and wakes writer threads, on behalf of the threads that
 * publish, so that a publishing node thread does no per-subscriber work and makes no wake-up system
 * call itself (docs/concurrency.md).
 *
 * <p>Relay: {@link ModuleManager#publish} hands this thread one entry per event: a {@link Task}
 * (one instance for every event of its kind: encode once, then queue it for every subscriber) and
 * its two arguments. Entries sit in a bounded ring ({@link #MAX_BACKLOG} slots, allocated once), so
 * handing an event over allocates nothing. They run one at a time in the order they were handed
 * over, so every module sees node events in publish order. A publisher that finds the ring full
 * runs the oldest entries itself, in order, until its own fits — about one entry per publish —
 * waiting at most for the entry in progress, which never waits on a module. {@link #flush} runs
 * every queued entry. After each entry the writers handed over meanwhile are woken, so a long
 * backlog never leaves a writer asleep while its queue fills.
 *
 * <p>The ring: a publisher claims the next position with a compare-and-set on {@code tail} (only
 * while fewer than {@link #MAX_BACKLOG} are claimed and not yet run), writes the arguments, then
 * publishes the slot by storing its task (release). Entries are taken only under {@link
 * #relayLock}: the taker waits for the oldest claimed slot to be published (its publisher is
 * between two stores), clears it and only then advances {@code head}, which frees the slot.
 *
 * <p>Wake-ups: when {@link OutboundQueue#offerEvent} queues an event for a writer that waits for
 * work, it hands the queue to this thread instead of notifying the writer; this thread then
 * notifies it.
 *
 * <p>After it last had work the thread polls every {@link #POLL_NANOS} for {@link
 * #POLL_WINDOW_NANOS}, and only then parks until a publisher unparks it. So while events keep
 * coming at least every few milliseconds a publisher does no system call at all (it only claims a
 * slot and reads a volatile), at the price of up to about {@code POLL_NANOS} plus the kernel's
 * timer slack (50 µs by default) of extra latency for an event that finds its writer asleep. The
 * first event after a quiet period costs its publisher one {@code unpark}.
 *
 * <p>Handing off is Dekker-style: a publisher claims its slot (or adds the connection to the wake
 * queue) and then reads the state; this thread sets the state to PARKED and then checks both again
 * before it parks. Both are sequentially consistent, so either this thread sees the work or the
 * publisher sees PARKED and unparks it. {@link #close} works the same way with the closed flag:
 * after it, a publisher runs its entry and notifies the writer itself.
 */
final class EventRelay implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger("blvm.loader.relay");

  /** How often the thread looks at its queues while it polls. */
  static final long POLL_NANOS = 200_000;

  /** How long it keeps polling after its last work before it parks until unparked. */
  static final long POLL_WINDOW_NANOS = TimeUnit.MILLISECONDS.toNanos(5);

  private static final int RUNNING = 0;
  private static final int PARKED = 1;

  /** Entries handed over and not yet taken: the ring's size (a power of two). */
  static final int MAX_BACKLOG = 65_536;

  private static final int MASK = MAX_BACKLOG - 1;

  /** What the relay runs for one entry; one instance serves every entry of its kind. */
  @FunctionalInterface
  interface Task {
    void run(Object a, Object b);
  }

  /** Runs a {@link Runnable} handed over as {@code a} ({@link #relay(Runnable)}). */
  private static final Task RUNNABLE = (a, b) -> ((Runnable) a).run();

  private final ConcurrentLinkedQueue<OutboundQueue> pending = new ConcurrentLinkedQueue<>();

  /** The ring: a slot's task is null until its publisher has written the slot. */
  private final AtomicReferenceArray<Task> tasks = new AtomicReferenceArray<>(MAX_BACKLOG);

  private final Object[] firstArgs = new Object[MAX_BACKLOG];
  private final Object[] secondArgs = new Object[MAX_BACKLOG];

  /** Positions claimed so far (the next publisher's position). */
  private final AtomicLong tail = new AtomicLong();

  /** Positions taken so far; written only under {@link #relayLock}. */
  private volatile long head;

  private final ReentrantLock relayLock = new ReentrantLock();
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
    unparkIfParked();
  }

  /**
   * Hands over one entry: {@code task.run(a, b)} runs after every entry handed over before it.
   * Allocates nothing and never waits on a module; makes a system call only when the thread is
   * parked for good (one {@code unpark}). With the ring full the caller runs the oldest entries
   * itself until its own fits (about one per call); after {@link #close} it runs them all.
   */
  void relay(Task task, Object a, Object b) {
    while (true) {
      long t = tail.get();
      if (t - head >= MAX_BACKLOG) {
        runOne(); // in order, the oldest first, until this one fits
        continue;
      }
      if (tail.compareAndSet(t, t + 1)) {
        int s = (int) t & MASK;
        firstArgs[s] = a;
        secondArgs[s] = b;
        tasks.setRelease(s, task);
        break;
      }
    }
    if (closed) {
      runRelayed();
      return;
    }
    unparkIfParked();
  }

  /** {@link #relay(Task, Object, Object)} of a one-off task (allocated by the caller). */
  void relay(Runnable task) {
    relay(RUNNABLE, task, null);
  }

  private void unparkIfParked() {
    if (state.get() == PARKED && state.compareAndSet(PARKED, RUNNING)) {
      unparks.incrementAndGet();
      LockSupport.unpark(thread);
    }
  }

  /**
   * Runs every entry handed over so far, on the calling thread if this thread is not already
   * running them: when it returns, every event published before the call has been queued for its
   * subscribers.
   */
  void flush() {
    runRelayed();
    // an entry the thread took before the ring ran empty may still be running: wait for it
    relayLock.lock();
    relayLock.unlock();
  }

  private void runRelayed() {
    while (runOne()) {
      // until the ring is empty
    }
  }

  /**
   * Takes the oldest entry and runs it under {@link #relayLock} (so entries run strictly in ring
   * order, one at a time), then wakes the writers handed over meanwhile. False when none was
   * claimed.
   */
  private boolean runOne() {
    relayLock.lock();
    try {
      long h = head;
      if (h == tail.get()) {
        return false;
      }
      int s = (int) h & MASK;
      Task task;
      while ((task = tasks.getAcquire(s)) == null) {
        Thread.onSpinWait(); // claimed, its publisher is about to store it
      }
      Object a = firstArgs[s];
      Object b = secondArgs[s];
      firstArgs[s] = null;
      secondArgs[s] = null;
      tasks.setPlain(s, null);
      head = h + 1; // frees the slot: the volatile write orders the clears before its reuse
      try {
        task.run(a, b);
      } catch (RuntimeException | Error e) {
        LOG.log(System.Logger.Level.ERROR, "relaying an event failed", e);
      }
    } finally {
      relayLock.unlock();
    }
    drain();
    return true;
  }

  private boolean relayEmpty() {
    return tail.get() == head;
  }

  /** Entries handed over and not yet taken (for tests). */
  int backlog() {
    return (int) (tail.get() - head);
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
      if (!relayEmpty()) {
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
      if (!pending.isEmpty() || !relayEmpty() || closed) {
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
   * Events queued afterwards are run and notified by their publisher.
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
