package org.blvm.loader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.blvm.testsupport.Poll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A waiter on a module's state returns only once the state listener was told of the transition it
 * waited for, whichever thread made it; the thread telling the listener is not held up by itself.
 * The listener is told of one module's transitions one at a time, in the order they were made.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ModuleHostTest {
  private static final long WAIT_MS = 30_000;

  /** A listener that holds the telling of {@code held} until released, then marks it told. */
  private static final class HoldingListener implements ModuleHost.Listener {
    final ModuleState held;
    final CountDownLatch entered = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);
    final AtomicBoolean told = new AtomicBoolean();

    HoldingListener(ModuleState held) {
      this.held = held;
    }

    @Override
    public void stateChanged(ModuleHost host, ModuleState from, ModuleState to, String detail) {
      if (to != held) {
        return;
      }
      entered.countDown();
      try {
        release.await(WAIT_MS, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      told.set(true);
    }
  }

  /** A host of module alpha telling {@code l}, whose makers wait for their turn up to WAIT_MS. */
  private static ModuleHost host(ModuleHost.Listener l) {
    return new ModuleHost("alpha", "1.0.0", l, WAIT_MS);
  }

  /** Runs {@code r} on a thread of its own, started now. */
  private static Thread run(String name, Runnable r) {
    Thread t = new Thread(r, "blvm-test-" + name);
    t.setDaemon(true);
    t.start();
    return t;
  }

  /** A wait on the host, as a waiter thread runs it. */
  @FunctionalInterface
  private interface Wait {
    String await() throws InterruptedException;
  }

  /** Runs {@code w} on a thread of its own, started now; what it returns goes to {@code into}. */
  private static Thread waiter(String name, AtomicReference<String> into, Wait w) {
    return run(
        name,
        () -> {
          try {
            into.set(w.await());
          } catch (InterruptedException e) {
            into.set("interrupted");
          }
        });
  }

  /** Waits until {@code t} is in a timed wait (or ended), bounded. */
  private static void awaitWaiting(Thread t) throws InterruptedException {
    Poll.until(
        () -> !t.isAlive() || t.getState() == Thread.State.TIMED_WAITING,
        Duration.ofMillis(WAIT_MS),
        t.getName() + " waits");
  }

  @Test
  void awaitState_returnsOnlyOnceTheListenerWasToldOfTheState() throws Exception {
    HoldingListener l = new HoldingListener(ModuleState.STARTED);
    ModuleHost host = host(l);
    assertTrue(host.transition(ModuleState.INITIALIZED, null, ModuleState.LOADED));
    Thread reader =
        run("reader", () -> host.transition(ModuleState.STARTED, null, ModuleState.INITIALIZED));
    assertTrue(l.entered.await(WAIT_MS, TimeUnit.MILLISECONDS), "the listener was called");
    assertEquals(ModuleState.STARTED, host.state(), "the state is set before the listener runs");

    AtomicReference<String> seen = new AtomicReference<>();
    Thread waiter =
        waiter(
            "waiter",
            seen,
            () -> host.awaitState(ModuleState.STARTED, WAIT_MS) + " told=" + l.told.get());
    awaitWaiting(waiter); // before the fix it returned at once, told=false
    assertEquals(null, seen.get(), "returned while the listener was still being told");
    l.release.countDown();
    waiter.join(WAIT_MS);
    reader.join(WAIT_MS);
    assertEquals("true told=true", seen.get());
  }

  @Test
  void awaitLeftAndAwaitTold_waitForTheExitThreadsReportOfTheFinalState() throws Exception {
    HoldingListener l = new HoldingListener(ModuleState.STOPPED);
    ModuleHost host = host(l);
    assertTrue(host.transition(ModuleState.STOPPING, "stop requested", ModuleState.LOADED));
    // the process-exit thread sets the final state and tells the listener
    Thread exit =
        run("exit", () -> host.transition(ModuleState.STOPPED, "exited", ModuleState.STOPPING));
    assertTrue(l.entered.await(WAIT_MS, TimeUnit.MILLISECONDS));
    // the stopping caller's own attempt loses: the state is already STOPPED
    assertTrue(!host.transition(ModuleState.STOPPED, "exited", ModuleState.STOPPING));

    AtomicReference<String> left = new AtomicReference<>();
    AtomicReference<String> told = new AtomicReference<>();
    Thread a =
        waiter(
            "left", left, () -> host.awaitLeft(ModuleState.STOPPING, WAIT_MS) + " " + l.told.get());
    Thread b = waiter("told", told, () -> host.awaitTold(WAIT_MS) + " " + l.told.get());
    awaitWaiting(a);
    awaitWaiting(b);
    assertEquals(null, left.get());
    assertEquals(null, told.get());
    l.release.countDown();
    a.join(WAIT_MS);
    b.join(WAIT_MS);
    exit.join(WAIT_MS);
    assertEquals("true true", left.get());
    assertEquals("true true", told.get());
  }

  @Test
  void aListenerWaitingOnItsOwnTransition_isNotHeldUpByItself() throws Exception {
    AtomicReference<String> inside = new AtomicReference<>();
    ModuleHost host =
        host(
            (h, from, to, detail) -> {
              if (to == ModuleState.STARTED) {
                long t0 = System.nanoTime();
                try {
                  boolean reached = h.awaitState(ModuleState.STARTED, WAIT_MS);
                  boolean quiet = h.awaitTold(WAIT_MS);
                  long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
                  inside.set(reached + " " + quiet + " " + (ms < WAIT_MS));
                } catch (InterruptedException e) {
                  inside.set("interrupted");
                }
              }
            });
    assertTrue(host.transition(ModuleState.INITIALIZED, null, ModuleState.LOADED));
    assertTrue(host.transition(ModuleState.STARTED, null, ModuleState.INITIALIZED));
    assertEquals("true true true", inside.get());
  }

  /**
   * A listener that records the start and end of each report, and holds the report of {@code held}
   * until released.
   */
  private static final class RecordingListener implements ModuleHost.Listener {
    final ModuleState held;
    final List<String> seen = new CopyOnWriteArrayList<>();
    final CountDownLatch entered = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);

    RecordingListener(ModuleState held) {
      this.held = held;
    }

    @Override
    public void stateChanged(ModuleHost host, ModuleState from, ModuleState to, String detail) {
      seen.add("begin " + to);
      if (to == held) {
        entered.countDown();
        try {
          release.await(WAIT_MS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      seen.add("end " + to);
    }
  }

  @Test
  void aTransitionMadeWhileAnEarlierOneIsReported_isReportedAfterIt() throws Exception {
    RecordingListener l = new RecordingListener(ModuleState.INITIALIZED);
    ModuleHost host = host(l);
    Thread hello =
        run("hello", () -> host.transition(ModuleState.INITIALIZED, null, ModuleState.LOADED));
    assertTrue(l.entered.await(WAIT_MS, TimeUnit.MILLISECONDS), "INITIALIZED is being reported");
    Thread ready =
        run("ready", () -> host.transition(ModuleState.STARTED, null, ModuleState.INITIALIZED));
    awaitWaiting(ready); // it waits for its turn (before the fix it reported STARTED at once)
    assertEquals(ModuleState.STARTED, host.state(), "the state moved without waiting");
    l.release.countDown();
    hello.join(WAIT_MS);
    ready.join(WAIT_MS);
    assertEquals(
        List.of("begin INITIALIZED", "end INITIALIZED", "begin STARTED", "end STARTED"), l.seen);
  }

  @Test
  void stopping_reportedBeforeTheExitThreadsStopped_evenWhenTheStopReportIsSlow() throws Exception {
    RecordingListener l = new RecordingListener(ModuleState.STOPPING);
    ModuleHost host = host(l);
    assertTrue(host.transition(ModuleState.STARTED, null, ModuleState.LOADED));
    Thread stop =
        run("stop", () -> host.transition(ModuleState.STOPPING, "stop", ModuleState.STARTED));
    assertTrue(l.entered.await(WAIT_MS, TimeUnit.MILLISECONDS));
    Thread exit =
        run("exit", () -> host.transition(ModuleState.STOPPED, "exited", ModuleState.STOPPING));
    awaitWaiting(exit);
    AtomicReference<String> told = new AtomicReference<>();
    Thread waiter =
        waiter("told", told, () -> host.awaitTold(WAIT_MS) + " " + l.seen.contains("end STOPPED"));
    awaitWaiting(waiter);
    assertEquals(null, told.get(), "returned while reports were still queued");
    l.release.countDown();
    stop.join(WAIT_MS);
    exit.join(WAIT_MS);
    waiter.join(WAIT_MS);
    assertEquals(
        List.of(
            "begin STARTED",
            "end STARTED",
            "begin STOPPING",
            "end STOPPING",
            "begin STOPPED",
            "end STOPPED"),
        l.seen);
    assertEquals("true true", told.get());
  }

  @Test
  void aMakerLeavesItsReportToTheTeller_whenTheTellersListenerWaitsOnTheModule() throws Exception {
    // the listener of INITIALIZED waits for STARTED, which the reader reaches in two steps; the
    // reader must not wait for its turn behind that listener (the turn wait here is the test's)
    List<String> seen = new CopyOnWriteArrayList<>();
    AtomicReference<String> inside = new AtomicReference<>();
    CountDownLatch readerDone = new CountDownLatch(1);
    ModuleHost host =
        host(
            (h, from, to, detail) -> {
              seen.add(to.name());
              if (to == ModuleState.INITIALIZED) {
                try {
                  inside.set(Boolean.toString(h.awaitState(ModuleState.STARTED, WAIT_MS)));
                  readerDone.await(WAIT_MS, TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                  inside.set("interrupted");
                }
              }
            });
    Thread hello =
        run("hello", () -> host.transition(ModuleState.INITIALIZED, null, ModuleState.LOADED));
    Poll.until(() -> !seen.isEmpty(), Duration.ofMillis(WAIT_MS), "INITIALIZED reported");
    AtomicReference<String> madeWhile = new AtomicReference<>();
    Thread reader =
        run(
            "reader",
            () -> {
              host.transition(ModuleState.SUBSCRIBED, null, ModuleState.INITIALIZED);
              host.transition(ModuleState.STARTED, null, ModuleState.SUBSCRIBED);
              madeWhile.set(String.valueOf(seen));
              readerDone.countDown();
            });
    reader.join(WAIT_MS);
    hello.join(WAIT_MS);
    assertEquals("[INITIALIZED]", madeWhile.get(), "both made while INITIALIZED was reported");
    assertEquals("true", inside.get());
    assertEquals(List.of("INITIALIZED", "SUBSCRIBED", "STARTED"), seen);
  }

  @Test
  void aTransitionMadeByAListener_isReportedAfterTheReportInProgress() {
    List<String> seen = new CopyOnWriteArrayList<>();
    ModuleHost host =
        host(
            (h, from, to, detail) -> {
              seen.add("begin " + to);
              if (to == ModuleState.STOPPING) {
                h.transition(ModuleState.STOPPED, "at once", ModuleState.STOPPING);
              }
              seen.add("end " + to);
            });
    assertTrue(host.transition(ModuleState.STOPPING, null, ModuleState.LOADED));
    assertEquals(List.of("begin STOPPING", "end STOPPING", "begin STOPPED", "end STOPPED"), seen);
  }

  @Test
  void aListenerThrowing_laterTransitionsAreStillReportedInOrder() throws Exception {
    List<String> seen = new CopyOnWriteArrayList<>();
    ModuleHost host =
        host(
            (h, from, to, detail) -> {
              seen.add(to.name());
              if (to == ModuleState.INITIALIZED) {
                throw new IllegalStateException("a listener's bug");
              }
              if (to == ModuleState.SUBSCRIBED) {
                h.transition(ModuleState.STARTED, null, ModuleState.SUBSCRIBED);
                throw new AssertionError("an error after a transition of its own");
              }
            });
    assertTrue(host.transition(ModuleState.INITIALIZED, null, ModuleState.LOADED), "logged");
    AssertionError e =
        assertThrows(
            AssertionError.class,
            () -> host.transition(ModuleState.SUBSCRIBED, null, ModuleState.INITIALIZED));
    assertEquals("an error after a transition of its own", e.getMessage());
    assertEquals(List.of("INITIALIZED", "SUBSCRIBED", "STARTED"), seen);
    // nothing is left held: the next change is told at once, and a waiter does not wait
    assertTrue(host.transition(ModuleState.STOPPING, null, ModuleState.STARTED));
    assertTrue(host.awaitTold(WAIT_MS));
    assertEquals(List.of("INITIALIZED", "SUBSCRIBED", "STARTED", "STOPPING"), seen);
  }
}
