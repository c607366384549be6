package org.blvm.loader;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;

/**
 * The state machine of one module launch: its {@link ModuleState}, why it got there, and the pid of
 * its process once launched. Every transition is checked against the states it may come from, and
 * reported to a {@link Listener} after the monitor is released. The monitor guards only these
 * fields and is never held across I/O or a call out. A waiter ({@link #awaitState}, {@link
 * #awaitLeft}, {@link #awaitTold}) returns only once the listener was told of the transitions made
 * so far by other threads, so that what a caller does next is ordered after those reports.
 */
final class ModuleHost {
  /** Told of every transition, on the thread that made it, with no lock held. */
  interface Listener {
    /** {@code detail}: the status detail after the change (why), or null. */
    void stateChanged(ModuleHost host, ModuleState from, ModuleState to, String detail);
  }

  private final String id;
  private final String version;
  private final Listener listener;

  @GuardedBy("this")
  private ModuleState state = ModuleState.LOADED;

  @GuardedBy("this")
  private String detail;

  @GuardedBy("this")
  private OptionalLong pid = OptionalLong.empty();

  /** The threads telling the listener of a transition right now (a thread once per call). */
  @GuardedBy("this")
  private final List<Thread> telling = new ArrayList<>();

  ModuleHost(String id, String version, Listener listener) {
    this.id = id;
    this.version = version;
    this.listener = listener;
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

  /** Moves to {@code to} if the current state is one of {@code from}; true when it moved. */
  boolean transition(ModuleState to, String why, ModuleState... from) {
    ModuleState old;
    String now;
    synchronized (this) {
      old = state;
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
      now = detail;
      telling.add(Thread.currentThread());
      notifyAll();
    }
    try {
      listener.stateChanged(this, old, to, now);
    } finally {
      synchronized (this) {
        telling.remove(Thread.currentThread());
        notifyAll();
      }
    }
    return true;
  }

  /** Whether no thread but the caller is telling the listener of a transition. */
  @GuardedBy("this")
  private boolean toldByOthers() {
    Thread me = Thread.currentThread();
    for (Thread t : telling) {
      if (t != me) {
        return false;
      }
    }
    return true;
  }

  /**
   * Waits until the state is {@code wanted} and the listener was told of it; false on timeout or
   * when it ended elsewhere.
   */
  synchronized boolean awaitState(ModuleState wanted, long timeoutMs) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
    while (state != wanted || !toldByOthers()) {
      if (!state.isLive() && wanted.isLive()) {
        return false;
      }
      long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
      if (left <= 0) {
        return false;
      }
      wait(left);
    }
    return true;
  }

  /**
   * Waits until the state is not {@code passing} any more and the listener was told of the new one;
   * false on timeout.
   */
  synchronized boolean awaitLeft(ModuleState passing, long timeoutMs) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
    while (state == passing || !toldByOthers()) {
      long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
      if (left <= 0) {
        return false;
      }
      wait(left);
    }
    return true;
  }

  /**
   * Waits until no other thread is telling the listener of a transition (e.g. the process-exit
   * thread's STOPPED); false on timeout.
   */
  synchronized boolean awaitTold(long timeoutMs) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
    while (!toldByOthers()) {
      long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
      if (left <= 0) {
        return false;
      }
      wait(left);
    }
    return true;
  }
}
