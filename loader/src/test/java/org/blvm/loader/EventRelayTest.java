package org.blvm.loader;

import static org.blvm.loader.LoaderFixture.H0;
import static org.blvm.loader.LoaderFixture.H1;
import static org.blvm.loader.LoaderFixture.request;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.blvm.protocol.Api;
import org.blvm.protocol.EventPayloads;
import org.blvm.protocol.EventType;
import org.blvm.protocol.Message;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The event hand-off to the {@code blvm-event-relay} thread (docs/concurrency.md): a publisher does
 * not notify a waiting writer itself, the relay does. Every test fails if an event is left queued
 * with its writer asleep: each published event must reach the module within a bound far above the
 * waker's latency and far below the socket timeout.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class EventRelayTest {
  private static final String READER = "\"read_blockchain\", \"subscribe_events\"";

  /** Far above the relay's latency (≤ 1 ms even on a loaded machine), far below forever. */
  private static final long BOUND_NANOS = TimeUnit.SECONDS.toNanos(3);

  @TempDir Path tmp;

  private static void subscribe(RawClient c) throws Exception {
    c.send(request(1, "subscribe_events", new Api.SubscribeParams(List.of("NewBlock")), c));
    assertNull(c.expect(Message.Response.class).error());
  }

  private static EventPayloads.NewBlock block(long height) {
    return new EventPayloads.NewBlock(H1, height, H0, 1, 1);
  }

  /** Reads the next event, failing if it does not come within {@link #BOUND_NANOS}. */
  private static Message.Event nextEvent(RawClient c) throws Exception {
    long t0 = System.nanoTime();
    Message.Event e = c.expect(Message.Event.class);
    long took = System.nanoTime() - t0;
    assertTrue(took < BOUND_NANOS, "event " + e.seq() + " took " + took / 1000 + " us");
    return e;
  }

  /**
   * Hands the relay a task that keeps it busy until {@code release} opens; returns once the relay
   * thread runs it, so every task handed over afterwards waits in its queue.
   */
  private static void holdRelay(EventRelay w, CountDownLatch release) throws InterruptedException {
    CountDownLatch running = new CountDownLatch(1);
    w.relay(
        () -> {
          running.countDown();
          try {
            release.await();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        });
    assertTrue(running.await(5, TimeUnit.SECONDS), "the relay thread did not take the task");
  }

  /** Opens {@code release} 200 ms from now, from another thread (while the caller blocks). */
  private static Thread releaseLater(CountDownLatch release) {
    Thread t =
        new Thread(
            () -> {
              LockSupport.parkNanos(200_000_000L);
              release.countDown();
            });
    t.start();
    return t;
  }

  private static void awaitParked(EventRelay w) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!w.isParked()) {
      assertTrue(System.nanoTime() < deadline, "the relay never parked");
      LockSupport.parkNanos(1_000_000);
    }
  }

  @Test
  void oneEventToAnIdleConnection_whileTheWakerIsParked_arrivesAndCostsOneUnpark()
      throws Exception {
    try (LoaderFixture fx = new LoaderFixture(tmp).module("one", READER, "")) {
      fx.start(b -> {});
      RawClient c = fx.handshake("one");
      subscribe(c);
      EventRelay w = fx.manager.eventRelay();
      for (int i = 1; i <= 5; i++) {
        awaitParked(w); // well past the writer's linger: it waits for work
        long before = w.unparks();
        assertEquals(1, fx.manager.publish(EventType.NewBlock, block(i)));
        Message.Event e = nextEvent(c);
        assertEquals(i, e.seq());
        assertEquals(i, e.payload().get("height").asLong());
        assertEquals(before + 1, w.unparks(), "the publisher unparks a parked waker once");
      }
      c.close();
    }
  }

  @Test
  void pacedEvents_acrossThePollWindow_eachArrivesBeforeTheNext() throws Exception {
    try (LoaderFixture fx =
        new LoaderFixture(tmp).module("one", READER, "").module("two", READER, "")) {
      fx.start(b -> {});
      List<RawClient> clients = List.of(fx.handshake("one"), fx.handshake("two"));
      for (RawClient c : clients) {
        subscribe(c);
      }
      Random random = new Random(7);
      long unparksBefore = fx.manager.eventRelay().unparks();
      for (int i = 1; i <= 300; i++) {
        // gaps from none to past the poll window, so the writers are sometimes lingering,
        // sometimes waiting, and the relay sometimes polling, sometimes parked
        long gapMicros = random.nextInt(4) == 0 ? random.nextInt(8000) : random.nextInt(600);
        LockSupport.parkNanos(gapMicros * 1000);
        assertEquals(2, fx.manager.publish(EventType.NewBlock, block(i)));
        for (RawClient c : clients) {
          assertEquals(i, nextEvent(c).seq());
        }
      }
      assertTrue(fx.manager.eventRelay().unparks() > unparksBefore, "never parked in between");
      for (RawClient c : clients) {
        c.close();
      }
    }
  }

  @Test
  void concurrentPublishersWithPauses_everyEventArrivesInSeqOrder() throws Exception {
    try (LoaderFixture fx =
        new LoaderFixture(tmp)
            .module("one", READER, "")
            .module("two", READER, "")
            .module("three", READER, "")) {
      fx.start(b -> b.eventQueue(1 << 16, 256L << 20));
      List<RawClient> clients =
          List.of(fx.handshake("one"), fx.handshake("two"), fx.handshake("three"));
      for (RawClient c : clients) {
        subscribe(c);
      }
      int threads = 3;
      int perThread = 400;
      CountDownLatch go = new CountDownLatch(1);
      AtomicReference<Throwable> failed = new AtomicReference<>();
      List<Thread> publishers = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        long seed = t;
        publishers.add(
            new Thread(
                () -> {
                  Random random = new Random(seed);
                  try {
                    go.await();
                    for (int i = 0; i < perThread; i++) {
                      fx.manager.publish(EventType.NewBlock, block(i));
                      if (random.nextInt(8) == 0) {
                        LockSupport.parkNanos(random.nextInt(7000) * 1000L);
                      }
                    }
                  } catch (Throwable e) {
                    failed.set(e);
                  }
                }));
      }
      publishers.forEach(Thread::start);
      go.countDown();
      // read while they publish, so that writers keep going idle and being woken again
      for (RawClient c : clients) {
        Thread reader =
            new Thread(
                () -> {
                  try {
                    for (long seq = 1; seq <= (long) threads * perThread; seq++) {
                      assertEquals(seq, nextEvent(c).seq());
                    }
                  } catch (Throwable e) {
                    failed.compareAndSet(null, e);
                  }
                });
        reader.start();
        publishers.add(reader);
      }
      for (Thread t : publishers) {
        t.join();
      }
      if (failed.get() != null) {
        throw new AssertionError(failed.get());
      }
      for (RawClient c : clients) {
        c.close();
      }
    }
  }

  @Test
  void afterTheWakerClosed_thePublisherWakesTheWriterItself() throws Exception {
    try (LoaderFixture fx = new LoaderFixture(tmp).module("one", READER, "")) {
      fx.start(b -> {});
      RawClient c = fx.handshake("one");
      subscribe(c);
      EventRelay w = fx.manager.eventRelay();
      w.close();
      assertTrue(!w.isAlive(), "the relay thread ended within its bound");
      for (int i = 1; i <= 20; i++) {
        LockSupport.parkNanos(1_000_000); // past the linger: the writer waits
        fx.manager.publish(EventType.NewBlock, block(i));
        assertEquals(i, nextEvent(c).seq());
      }
      c.close();
    }
  }

  @Test
  void relay_runsTasksInOrder_andAPublisherOverTheBoundRunsTasksUntilWithinIt() throws Exception {
    EventRelay w = new EventRelay("test-relay");
    try {
      CountDownLatch release = new CountDownLatch(1);
      List<Integer> ran = java.util.Collections.synchronizedList(new ArrayList<>());
      holdRelay(w, release);
      for (int i = 0; i < EventRelay.MAX_BACKLOG; i++) {
        int n = i;
        w.relay(() -> ran.add(n)); // within the bound: only queued
      }
      assertEquals(0, ran.size(), "nothing runs while the relay thread is busy");
      Thread releaser = releaseLater(release);
      int last = EventRelay.MAX_BACKLOG;
      w.relay(() -> ran.add(last)); // over the bound: this caller runs tasks until back within it
      assertTrue(
          w.backlog() <= EventRelay.MAX_BACKLOG,
          "the publisher returned with " + w.backlog() + " tasks queued");
      w.flush();
      assertEquals(EventRelay.MAX_BACKLOG + 1, ran.size(), "flush ran every queued task");
      for (int i = 0; i <= last; i++) {
        assertEquals(i, ran.get(i), "tasks run in the order they were handed over");
      }
      releaser.join();
    } finally {
      w.close();
    }
  }

  @Test
  void whileTheRelayIsBusyWithLaterEvents_anEarlierEventIsAlreadyWrittenOut() throws Exception {
    try (LoaderFixture fx = new LoaderFixture(tmp).module("one", READER, "")) {
      fx.start(b -> {});
      RawClient c = fx.handshake("one");
      subscribe(c);
      LockSupport.parkNanos(2_000_000); // past the linger: the writer waits for work
      EventRelay w = fx.manager.eventRelay();
      CountDownLatch release = new CountDownLatch(1);
      holdRelay(w, release); // until both tasks below are queued
      java.util.concurrent.CompletableFuture<Long> got =
          new java.util.concurrent.CompletableFuture<>();
      Thread reader =
          new Thread(
              () -> {
                try {
                  got.complete(c.expect(Message.Event.class).seq());
                } catch (Exception e) {
                  got.completeExceptionally(e);
                }
              });
      reader.start();
      assertEquals(1, fx.manager.publish(EventType.NewBlock, block(1)));
      AtomicReference<Object> seenByLaterTask = new AtomicReference<>();
      // a later relay task that only ends once event 1 reached the module: the writer must have
      // been woken after event 1's fan-out, not when the relay queue runs empty
      w.relay(
          () -> {
            try {
              seenByLaterTask.set(got.get(5, TimeUnit.SECONDS));
            } catch (Exception e) {
              seenByLaterTask.set(e);
            }
          });
      release.countDown();
      fx.manager.flushEvents();
      assertEquals(1L, seenByLaterTask.get());
      reader.join();
      c.close();
    }
  }

  @Test
  void stopModule_eventsPublishedBeforeItReachTheModuleBeforeTheStop() throws Exception {
    try (LoaderFixture fx = new LoaderFixture(tmp).module("one", READER, "")) {
      fx.start(b -> {});
      RawClient c = fx.handshake("one");
      subscribe(c);
      CountDownLatch release = new CountDownLatch(1);
      holdRelay(fx.manager.eventRelay(), release); // the event below waits in the relay's queue
      assertEquals(1, fx.manager.publish(EventType.NewBlock, block(1)));
      Thread stopper = new Thread(() -> fx.manager.stopModule("one"));
      stopper.start();
      releaseLater(release).join(); // stopModule is meanwhile waiting for the relay
      Message first = c.read();
      assertEquals(1, assertInstanceOf(Message.Event.class, first).seq(), "the event comes first");
      Message.Invoke stop = assertInstanceOf(Message.Invoke.class, c.read());
      assertEquals("stop", stop.method());
      c.close();
      stopper.join(30_000);
    }
  }

  @Test
  void flushEvents_afterPublish_everyEventIsQueuedForItsSubscribers() throws Exception {
    try (LoaderFixture fx =
        new LoaderFixture(tmp)
            .policy(
                "[defaults]\ncapabilities = [\"read_blockchain\", \"subscribe_events\"]\n"
                    + "event_overflow = \"drop_oldest\"\n")
            .module("slow", READER, "")) {
      fx.start(b -> b.eventQueue(16, 16L << 20));
      RawClient c = fx.handshake("slow");
      subscribe(c);
      CountDownLatch release = new CountDownLatch(1);
      holdRelay(fx.manager.eventRelay(), release);
      for (int i = 1; i <= 3000; i++) {
        assertEquals(1, fx.manager.publish(EventType.NewBlock, block(i)));
      }
      assertEquals(0, fx.manager.droppedEvents("slow"), "publish itself does not fan out");
      Thread releaser = releaseLater(release);
      fx.manager.flushEvents();
      // the module read nothing: its socket and queue of 16 are full, the rest was dropped already
      assertTrue(fx.manager.droppedEvents("slow") > 0, "fan-out had not run when flush returned");
      releaser.join();
      c.close();
    }
  }

  @Test
  void closingTheManager_endsTheWakerThread() throws Exception {
    EventRelay w;
    try (LoaderFixture fx = new LoaderFixture(tmp).module("one", READER, "")) {
      fx.start(b -> {});
      w = fx.manager.eventRelay();
      assertTrue(w.isAlive());
    }
    assertTrue(!w.isAlive());
  }
}
