package org.blvm.loader;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.errorprone.annotations.concurrent.GuardedBy;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.blvm.protocol.ErrorCode;
import org.blvm.protocol.ErrorValue;
import org.blvm.protocol.Message;
import org.blvm.protocol.SharedEvent;

/**
 * Launches the modules the policy starts on demand when they are first needed, and stops them again
 * when idle. Such a module is IDLE (admitted, no process), STARTING (launched, not yet STARTED:
 * calls wait, events are queued), RUNNING (served like any module) or ENDING (stopping or ended;
 * its launch is being taken out of the registry). A {@code call_module} to a method its manifest
 * provides, or an event of a type its manifest {@code subscribes} to, moves it from IDLE to
 * STARTING; concurrent triggers start it once. Once STARTED, the events queued meanwhile are
 * delivered in order (on the relay thread, ahead of the fan-outs queued after them) and the waiting
 * calls are invoked. A launch that fails, or a module that stops or crashes, returns to IDLE (no
 * automatic restart); calls waiting for it fail UNAVAILABLE. {@link #tick} (every {@link #TICK_MS})
 * fails calls whose deadline passed and stops a RUNNING module that got no call or event for its
 * {@code idle_seconds}. Time comes from a {@link Ticker}.
 *
 * <p>Each module's entry is its own monitor, guarding its state, queue and waiters only: launches,
 * stops, deliveries and the completion of waiting calls run outside it.
 *
 * <p>Over 400 lines: the four states, the event queue and the waiting calls they move are one state
 * machine and are read together.
 */
final class OnDemandStarter {
  private static final System.Logger LOG = System.getLogger("blvm.loader");

  /** Events queued per module while it starts; beyond, the oldest are dropped and counted. */
  static final int MAX_QUEUED_EVENTS = 1024;

  /** Calls waiting per module while it starts; beyond, a call fails UNAVAILABLE at once. */
  static final int MAX_WAITING_CALLS = 256;

  /** How often {@link #tick} runs. */
  static final long TICK_MS = 200;

  enum State {
    IDLE,
    STARTING,
    RUNNING,
    ENDING
  }

  private record Waiter(
      String method,
      JsonNode params,
      String caller,
      long deadlineNanos,
      CompletableFuture<Message.Response> answer) {}

  private static final class Entry {
    final String id;
    final Set<String> provides;
    final Set<String> subscribes;
    final long idleNanos;
    final AtomicLong calls = new AtomicLong();

    /** Read by the fan-out and the dispatcher without the monitor. */
    volatile boolean running;

    @GuardedBy("this")
    State state = State.IDLE;

    /** An operator asked for a start while it was ending. */
    @GuardedBy("this")
    boolean wanted;

    /** The ended launch is being taken out (one park per launch). */
    @GuardedBy("this")
    boolean parking;

    @GuardedBy("this")
    final ArrayDeque<SharedEvent> queued = new ArrayDeque<>();

    @GuardedBy("this")
    long missed;

    @GuardedBy("this")
    final List<Waiter> waiters = new ArrayList<>();

    @GuardedBy("this")
    long lastActivity;

    @GuardedBy("this")
    long lastActiveNanos;

    Entry(String id, Set<String> provides, Set<String> subscribes, int idleSeconds) {
      this.id = id;
      this.provides = Set.copyOf(provides);
      this.subscribes = Set.copyOf(subscribes);
      this.idleNanos = idleSeconds * 1_000_000_000L;
    }
  }

  private final Map<String, Entry> entries = new ConcurrentHashMap<>();
  private final OnDemandActions actions;
  private final Ticker ticker;
  private final long callTimeoutMs;

  private volatile boolean closed;

  OnDemandStarter(OnDemandActions actions, Ticker ticker, long callTimeoutMs) {
    this.actions = actions;
    this.ticker = ticker;
    this.callTimeoutMs = callTimeoutMs;
  }

  /** Adds (or replaces) a module admitted for on-demand start, IDLE. */
  void register(String id, Set<String> provides, Set<String> subscribes, int idleSeconds) {
    entries.put(id, new Entry(id, provides, subscribes, idleSeconds));
  }

  /** Forgets a module (unloaded); calls waiting for it fail UNAVAILABLE. */
  void forget(String id) {
    Entry e = entries.remove(id);
    if (e != null) {
      fail(drain(e), "module " + id + " was unloaded");
    }
  }

  boolean manages(String id) {
    return entries.containsKey(id);
  }

  /** Its state, or null when it is not started on demand. */
  State state(String id) {
    Entry e = entries.get(id);
    if (e == null) {
      return null;
    }
    synchronized (e) {
      return e.state;
    }
  }

  /**
   * The methods {@code id}'s manifest provides (sorted); empty when it is not started on demand.
   */
  List<String> provides(String id) {
    Entry e = entries.get(id);
    return e == null ? List.of() : e.provides.stream().sorted().toList();
  }

  /** Whether a call to {@code id} must go through {@link #call}: on demand and not RUNNING. */
  boolean intercepts(String id) {
    Entry e = entries.get(id);
    return e != null && !e.running;
  }

  /** Whether the fan-out may deliver to {@code id} directly (not on demand, or RUNNING). */
  boolean passes(String id) {
    Entry e = entries.isEmpty() ? null : entries.get(id);
    return e == null || e.running;
  }

  /** A call was invoked on {@code id} (activity that keeps it running). */
  void called(String id) {
    Entry e = entries.isEmpty() ? null : entries.get(id);
    if (e != null) {
      e.calls.incrementAndGet();
    }
  }

  /**
   * A {@code call_module} to an on-demand module (the caller's allowance was checked): invoked once
   * the module runs; UNAVAILABLE when it cannot start or the call timeout passes first. Completes
   * with the target's answer; the response's id is the caller's to set.
   */
  CompletableFuture<Message.Response> call(
      String id, String method, JsonNode params, String caller) {
    Entry e = entries.get(id);
    if (e == null) {
      return done(ErrorCode.NOT_FOUND, "no module \"" + id + "\"");
    }
    if (!e.provides.contains(method)) {
      return done(ErrorCode.UNKNOWN_METHOD, "module " + id + " does not serve \"" + method + "\"");
    }
    CompletableFuture<Message.Response> answer = new CompletableFuture<>();
    boolean start;
    synchronized (e) {
      if (e.state == State.RUNNING) {
        answer = null;
        start = false;
      } else if (closed || e.waiters.size() >= MAX_WAITING_CALLS) {
        return done(ErrorCode.UNAVAILABLE, "module " + id + " cannot take more calls now");
      } else {
        long deadline = ticker.nanoTime() + callTimeoutMs * 1_000_000L;
        e.waiters.add(new Waiter(method, params, caller, deadline, answer));
        start = e.state == State.IDLE;
        if (start) {
          e.state = State.STARTING;
        }
      }
    }
    if (answer == null) {
      return actions.invoke(id, method, params, caller);
    }
    if (start) {
      startLaunch(e, "a call to " + method + " from " + caller);
    }
    return answer;
  }

  /**
   * The fan-out of one event: queues it for each on-demand module that does not run now and wants
   * it (STARTING: every event, delivered once STARTED if it subscribed by then; IDLE or ENDING: a
   * type it {@code subscribes} to, which starts it). Runs on the thread that fans out.
   */
  void offer(SharedEvent event) {
    SharedEvent kept = null; // kept past this call: a pooled event's bytes are reused after it
    for (Entry e : entries.values()) {
      if (e.running) {
        continue;
      }
      boolean start = false;
      synchronized (e) {
        if (closed
            || e.state == State.RUNNING
            || (e.state != State.STARTING && !e.subscribes.contains(event.type()))) {
          continue;
        }
        if (e.queued.size() >= MAX_QUEUED_EVENTS) {
          e.queued.pollFirst();
          e.missed++;
        }
        if (kept == null) {
          kept = event.stable();
        }
        e.queued.addLast(kept);
        if (e.state == State.IDLE) {
          e.state = State.STARTING;
          start = true;
        }
      }
      if (start) {
        startLaunch(e, "a " + event.type() + " event");
      }
    }
  }

  /** Launches {@code e} (now STARTING) on a thread of its own. */
  private void startLaunch(Entry e, String why) {
    LOG.log(System.Logger.Level.INFO, "module {0}: starting on demand for {1}", e.id, why);
    actions.spawn(e.id, () -> launch(e));
  }

  private void launch(Entry e) {
    ModuleStatus s;
    try {
      s = actions.launch(e.id);
    } catch (RuntimeException ex) {
      ended(e.id, "launch failed: " + ex.getMessage());
      return;
    }
    if (s.state() == ModuleState.FAILED || s.state() == ModuleState.STOPPED) {
      ended(e.id, s.detail());
    }
  }

  /**
   * A state change of a module's launch: STARTED delivers its queued events and waiting calls;
   * STOPPED or FAILED returns it to IDLE.
   */
  void stateChanged(String id, ModuleState to, String detail) {
    Entry e = entries.get(id);
    if (e == null) {
      return;
    }
    if (to == ModuleState.STARTED) {
      actions.afterQueuedEvents(() -> flush(e));
    } else if (to == ModuleState.STOPPED || to == ModuleState.FAILED) {
      ended(id, detail);
    }
  }

  /** On the relay thread, after the fan-outs queued before: STARTING → RUNNING. */
  private void flush(Entry e) {
    List<SharedEvent> events;
    List<Waiter> calls;
    long missed;
    synchronized (e) {
      if (e.state != State.STARTING || e.parking) {
        return;
      }
      events = new ArrayList<>(e.queued);
      missed = e.missed;
      calls = drain(e);
      e.state = State.RUNNING;
      e.running = true;
      e.lastActiveNanos = ticker.nanoTime();
      e.lastActivity = -1; // what is flushed now counts as activity at the next tick
    }
    if (missed > 0) {
      LOG.log(
          System.Logger.Level.WARNING,
          "module {0}: {1} events dropped while it started (at most {2} are queued)",
          e.id,
          Long.toString(missed),
          Integer.toString(MAX_QUEUED_EVENTS));
      actions.missed(e.id, missed);
    }
    for (SharedEvent ev : events) {
      actions.deliver(e.id, ev);
    }
    for (Waiter w : calls) {
      if (!w.answer().isDone()) {
        actions
            .invoke(e.id, w.method(), w.params(), w.caller())
            .whenComplete(
                (r, ex) ->
                    w.answer()
                        .complete(r != null ? r : unavailable(e.id + ": " + ex.getMessage())));
      }
    }
  }

  /** The module's launch ended (or never began): ENDING, then IDLE once it is taken out. */
  private void ended(String id, String detail) {
    Entry e = entries.get(id);
    if (e == null) {
      return;
    }
    List<Waiter> failed = List.of();
    synchronized (e) {
      if (e.state == State.IDLE || e.parking) {
        return; // reported twice (the launch's status and its state change)
      }
      if (e.state == State.STARTING) {
        failed = drain(e);
      }
      e.state = State.ENDING;
      e.running = false;
      e.parking = true;
    }
    fail(failed, "module " + id + " could not start: " + detail);
    actions.spawn(id, () -> park(e, detail));
  }

  /** Takes the ended launch out; then IDLE, or STARTING again if calls or events came meanwhile. */
  private void park(Entry e, String detail) {
    actions.park(e.id, detail);
    boolean again;
    synchronized (e) {
      e.parking = false;
      if (e.state != State.ENDING || entries.get(e.id) != e) {
        return;
      }
      again = !closed && (e.wanted || !e.waiters.isEmpty() || !e.queued.isEmpty());
      e.wanted = false;
      e.state = again ? State.STARTING : State.IDLE;
    }
    if (again) {
      startLaunch(e, "calls or events that came while it stopped");
    }
  }

  /**
   * An operator's start: an IDLE module is launched now, on the calling thread; one that is ending
   * starts again once it ended.
   *
   * @throws IllegalStateException when it is starting or running
   */
  void startNow(String id) {
    Entry e = entries.get(id);
    if (e == null) {
      throw new IllegalArgumentException("module " + id + " is not started on demand");
    }
    synchronized (e) {
      if (e.state != State.IDLE && e.state != State.ENDING) {
        throw new IllegalStateException("module " + id + " is starting or running");
      }
      if (e.state == State.ENDING) {
        e.wanted = true;
        return;
      }
      e.state = State.STARTING;
    }
    launch(e);
  }

  /** Fails calls whose deadline passed; stops RUNNING modules idle for their idle_seconds. */
  void tick() {
    long now = ticker.nanoTime();
    for (Entry e : entries.values()) {
      List<Waiter> late = new ArrayList<>();
      boolean stop = false;
      long activity = e.calls.get() + actions.eventsSent(e.id);
      synchronized (e) {
        e.waiters.removeIf(w -> now - w.deadlineNanos() >= 0 && late.add(w));
        if (e.state == State.RUNNING && !closed) {
          if (activity != e.lastActivity) {
            e.lastActivity = activity;
            e.lastActiveNanos = now;
          } else if (now - e.lastActiveNanos >= e.idleNanos) {
            e.state = State.ENDING;
            e.running = false;
            stop = true;
          }
        }
      }
      fail(late, "module " + e.id + " did not start within " + callTimeoutMs + " ms");
      if (stop) {
        String why = "idle for " + e.idleNanos / 1_000_000_000L + " s";
        LOG.log(System.Logger.Level.INFO, "module {0}: stopping, {1}", e.id, why);
        actions.spawn(e.id, () -> actions.stop(e.id, why));
      }
    }
  }

  /** No more starts; waiting calls fail UNAVAILABLE. */
  void close() {
    closed = true;
    List<Waiter> failed = new ArrayList<>();
    entries.values().forEach(e -> failed.addAll(drain(e)));
    fail(failed, "the node is stopping");
  }

  /** Takes the module's waiting calls and clears its queue. */
  private static List<Waiter> drain(Entry e) {
    synchronized (e) {
      List<Waiter> out = new ArrayList<>(e.waiters);
      e.waiters.clear();
      e.queued.clear();
      e.missed = 0;
      return out;
    }
  }

  private static void fail(List<Waiter> ws, String why) {
    for (Waiter w : ws) {
      w.answer().complete(unavailable(why));
    }
  }

  private static Message.Response unavailable(String why) {
    return Message.Response.error(0, ErrorValue.of(ErrorCode.UNAVAILABLE, why));
  }

  private static CompletableFuture<Message.Response> done(ErrorCode code, String why) {
    return CompletableFuture.completedFuture(Message.Response.error(0, ErrorValue.of(code, why)));
  }
}
