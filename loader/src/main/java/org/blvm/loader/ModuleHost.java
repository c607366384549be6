package org.blvm.loader;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import java.util.ArrayDeque;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;

/**
 * The state machine of one module launch: its {@link ModuleState}, why it got there, and the pid of
 * its process once launched. Every transition is checked against the states it may come from, and
 * reported to a {@link Listener} after the monitor is released. The monitor guards only these
 * fields and the queue of reports, and is never held across I/O or a call out.
 *
 * <p>Reports are serialised: the listener is told of one module's transitions one at a time, in the
 * order they were made. One thread at a time, the teller, tells them; a transition made while
 * another thread tells an earlier one is queued, and its maker waits (at most the turn wait) until
 * the teller hands it the telling, then tells its own. A maker that stops waiting (the turn wait
 * passed, it was interrupted, or the teller waits on this module from its listener) leaves its
 * report to the teller, which tells it in its turn; so no listener waiting on its own module is
 * held up by the reports behind it. A transition made by a listener is told after the report in
 * progress. A runtime exception from the listener is logged; an error reaches the caller that tells
 * it, after the reports queued behind it. A waiter ({@link #awaitState}, {@link #awaitLeft}, {@link
 * #awaitTold}) returns only once the listener was told of every transition made so far (the teller
 * itself is not held up by the reports it must tell), so that what a caller does next is ordered
 * after those reports.
 */
final class ModuleHost {
  private static final System.Logger LOG = System.getLogger("blvm.loader.module");

  /** How long a transition's maker waits for the reports before its own to be told. */
  static final long TURN_WAIT_MS = 1000;

  /**
   * Told of every transition, in order, with no lock held: normally on the thread that made it (see
   * the class comment).
   */
  interface Listener {
    /** {@code detail}: the status detail after the change (why), or null. */
    void stateChanged(ModuleHost host, ModuleState from, ModuleState to, String detail);
  }

  /** One transition to tell, queued until told. */
  private static final class Report {
    final ModuleState from;
    final ModuleState to;
    final String detail;
    final Thread maker;

    /** The maker stopped waiting for its turn: the teller tells it. Under the host's monitor. */
    boolean abandoned;

    /** The listener was told. Under the host's monitor. */
    boolean told;

    Report(ModuleState from, ModuleState to, String detail, Thread maker) {
      this.from = from;
      this.to = to;
      this.detail = detail;
      this.maker = maker;
    }
  }

  private final String id;
  private final String version;
  private final Listener listener;
  private final long turnWaitNanos;

  @GuardedBy("this")
  private ModuleState state = ModuleState.LOADED;

  @GuardedBy("this")
  private String detail;

  @GuardedBy("this")
  private OptionalLong pid = OptionalLong.empty();

  /** Transitions not yet told (the head may be being told), in the order they were made. */
  @GuardedBy("this")
  private final ArrayDeque<Report> pending = new ArrayDeque<>();

  /** The thread telling the queued reports, or null when none is queued. */
  @GuardedBy("this")
  private Thread teller;

  /** The teller waits on this module from its listener ({@link #await}). */
  @GuardedBy("this")
  private boolean tellerWaits;

  ModuleHost(String id, String version, Listener listener) {
    this(id, version, listener, TURN_WAIT_MS);
  }

  /** {@code turnWaitMs}: how long a maker waits for its turn to tell (tests pass their own). */
  ModuleHost(String id, String version, Listener listener, long turnWaitMs) {
    this.id = id;
    this.version = version;
    this.listener = listener;
    this.turnWaitNanos = TimeUnit.MILLISECONDS.toNanos(turnWaitMs);
  }

  String id() {
    return id;
  }

  synchronized ModuleState state() {
    return state;
  }

  synchronized ModuleStatus status() {
    return new ModuleStatus(id, version, state, pid, detail);
  }

  /** Records the pid of the launched process (for the status). */
  synchronized void launched(long processPid) {
    pid = OptionalLong.of(processPid);
  }

  /** Adds to the status detail (e.g. why the module is not restarted). */
  synchronized void appendDetail(String more) {
    detail = detail == null ? more : detail + "; " + more;
  }

  /**
   * Moves to {@code to} if the current state is one of {@code from}; true when it moved. The
   * listener is told after the reports of every earlier transition of this module: on this thread
   * once they are told (it waits for its turn, at most the turn wait), otherwise later, in order,
   * by the thread telling them (see the class comment).
   */
  boolean transition(ModuleState to, String why, ModuleState... from) {
    Thread me = Thread.currentThread();
    synchronized (this) {
      ModuleState old = state;
      boolean allowed = false;
      for (ModuleState f : from) {
        allowed |= f == old;
      }
      if (!allowed || old == to) {
        return false;
      }
      state = to;
      if (why != null) {
        detail = why;
      }
      Report r = new Report(old, to, detail, me);
      pending.addLast(r);
      notifyAll();
      if (teller == me) {
        return true; // made while telling (from a listener): told after the report in progress
      }
      if (teller == null) {
        teller = me;
      } else if (!awaitTurn(r)) {
        return true; // told by the thread telling the earlier reports
      }
    }
    tell(me);
    return true;
  }

  /**
   * Caller holds the monitor and made {@code r}, queued behind another thread's report: waits until
   * that thread hands it the telling (true) or has told {@code r} itself (false). It stops waiting,
   * leaving {@code r} to the teller (false), when the teller waits on this module from its
   * listener, when the turn wait passes, or when interrupted (the interrupt is kept).
   */
  @GuardedBy("this")
  private boolean awaitTurn(Report r) {
    Thread me = Thread.currentThread();
    long deadline = System.nanoTime() + turnWaitNanos;
    boolean interrupted = false;
    try {
      while (teller != me && !r.told) {
        long left = deadline - System.nanoTime();
        if (tellerWaits || left <= 0 || interrupted) {
          r.abandoned = true;
          return false;
        }
        try {
          TimeUnit.NANOSECONDS.timedWait(this, left);
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
      return teller == me;
    } finally {
      if (interrupted) {
        me.interrupt();
      }
    }
  }

  /**
   * The caller is the teller: tells the listener of the queued reports in order, with no lock held,
   * until the queue is empty or the next report is another thread's that waits for its turn, to
   * which it hands the telling.
   */
  private void tell(Thread me) {
    Error failure = null;
    while (true) {
      Report r;
      synchronized (this) {
        r = pending.peekFirst();
        if (r == null || (r.maker != me && !r.abandoned)) {
          teller = r == null ? null : r.maker;
          notifyAll();
          break;
        }
      }
      try {
        listener.stateChanged(this, r.from, r.to, r.detail);
      } catch (RuntimeException e) {
        LOG.log(System.Logger.Level.ERROR, "module " + id + ": a state listener failed", e);
      } catch (Error e) {
        // the later reports are told all the same; the first error goes to the caller after them
        failure = failure == null ? e : failure;
      } finally {
        synchronized (this) {
          pending.removeFirst();
          r.told = true;
          notifyAll();
        }
      }
    }
    if (failure != null) {
      throw failure;
    }
  }

  /**
   * Caller holds the monitor: whether every report made so far was told, or the caller is the
   * teller (a listener waiting on its own module is not held up by the reports it must tell).
   */
  @GuardedBy("this")
  private boolean told() {
    return pending.isEmpty() || teller == Thread.currentThread();
  }

  /** What a waiter waits for besides the reports. */
  private enum Until {
    /** The state is the one given. */
    REACHED,
    /** The state is not the one given. */
    LEFT,
    /** Nothing more. */
    TOLD
  }

  @GuardedBy("this")
  private boolean holds(Until until, ModuleState s) {
    switch (until) {
      case REACHED:
        return state == s;
      case LEFT:
        return state != s;
      default:
        return true;
    }
  }

  /**
   * Waits on the monitor until the state satisfies {@code until} for {@code s} and {@link #told};
   * false on timeout, or when waiting for a live state that cannot come (the module ended). A
   * teller waiting here (from its listener) lets threads waiting for their turn leave their reports
   * to it.
   */
  private synchronized boolean await(Until until, ModuleState s, long timeoutMs)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
    boolean telling = teller == Thread.currentThread();
    boolean before = tellerWaits;
    if (telling) {
      tellerWaits = true;
      notifyAll();
    }
    try {
      while (!holds(until, s) || !told()) {
        long left = deadline - System.nanoTime();
        if (until == Until.REACHED && !state.isLive() && s.isLive() || left <= 0) {
          return false;
        }
        TimeUnit.NANOSECONDS.timedWait(this, left);
      }
      return true;
    } finally {
      if (telling) {
        tellerWaits = before;
      }
    }
  }

  /**
   * Waits until the state is {@code wanted} and the listener was told of it; false on timeout or
   * when it ended elsewhere.
   */
  boolean awaitState(ModuleState wanted, long timeoutMs) throws InterruptedException {
    return await(Until.REACHED, wanted, timeoutMs);
  }

  /**
   * Waits until the state is not {@code passing} any more and the listener was told of the new one;
   * false on timeout.
   */
  boolean awaitLeft(ModuleState passing, long timeoutMs) throws InterruptedException {
    return await(Until.LEFT, passing, timeoutMs);
  }

  /**
   * Waits until the listener was told of every transition made so far (e.g. the process-exit
   * thread's STOPPED); false on timeout.
   */
  boolean awaitTold(long timeoutMs) throws InterruptedException {
    return await(Until.TOLD, null, timeoutMs);
  }
}
