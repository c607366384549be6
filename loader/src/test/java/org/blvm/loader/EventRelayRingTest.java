package org.blvm.loader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@link EventRelay}'s ring of entries: order, bound and wrap-around, and no allocation. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class EventRelayRingTest {
  static {
    // the tests run patched into the loader's module, which reads neither of these
    for (String m : List.of("java.management", "jdk.management")) {
      EventRelayRingTest.class.getModule().addReads(ModuleLayer.boot().findModule(m).orElseThrow());
    }
  }

  private static Object threadBean;
  private static java.lang.reflect.Method currentThreadAllocatedBytes;

  /**
   * Bytes this thread has allocated so far (the JDK's thread bean, reached reflectively; the call
   * itself allocates a few dozen bytes).
   */
  private static long allocatedByThisThread() throws Exception {
    if (threadBean == null) {
      threadBean =
          Class.forName("java.lang.management.ManagementFactory")
              .getMethod("getThreadMXBean")
              .invoke(null);
      currentThreadAllocatedBytes =
          Class.forName("com.sun.management.ThreadMXBean")
              .getMethod("getCurrentThreadAllocatedBytes");
    }
    return (Long) currentThreadAllocatedBytes.invoke(threadBean);
  }

  /**
   * Four publishers hand over three times as many entries as the ring holds, while the relay thread
   * runs them: each publisher's entries run in its order, each exactly once.
   */
  @Test
  void concurrentPublishers_manyWrapsOfTheRing_eachRunsOnceInItsPublishersOrder() throws Exception {
    int publishers = 4;
    int each = 3 * EventRelay.MAX_BACKLOG / publishers + 17;
    List<List<Integer>> ran = new ArrayList<>();
    for (int p = 0; p < publishers; p++) {
      ran.add(new ArrayList<>());
    }
    // entries run one at a time (under the relay lock), so the lists need no lock of their own
    EventRelay.Task record = (p, n) -> ran.get((Integer) p).add((Integer) n);
    EventRelay w = new EventRelay("test-relay");
    try {
      CountDownLatch go = new CountDownLatch(1);
      List<Thread> threads = new ArrayList<>();
      for (int p = 0; p < publishers; p++) {
        Integer who = p;
        Thread t =
            new Thread(
                () -> {
                  try {
                    go.await();
                  } catch (InterruptedException e) {
                    return;
                  }
                  for (int n = 0; n < each; n++) {
                    w.relay(record, who, n);
                    assertTrue(w.backlog() <= EventRelay.MAX_BACKLOG);
                  }
                });
        t.start();
        threads.add(t);
      }
      go.countDown();
      for (Thread t : threads) {
        t.join();
      }
      w.flush();
      assertEquals(0, w.backlog());
      for (int p = 0; p < publishers; p++) {
        List<Integer> got = ran.get(p);
        assertEquals(each, got.size(), "publisher " + p);
        for (int n = 0; n < each; n++) {
          assertEquals(n, got.get(n), "publisher " + p + " entry " + n);
        }
      }
    } finally {
      w.close();
    }
  }

  /** A full ring: the publisher runs the oldest entry itself (in order) before its own fits. */
  @Test
  void fullRing_thePublisherRunsTheOldestEntries_thenItsOwnIsQueuedLast() throws Exception {
    EventRelay w = new EventRelay("test-relay");
    try {
      CountDownLatch release = new CountDownLatch(1);
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
      assertTrue(running.await(5, TimeUnit.SECONDS));
      AtomicInteger last = new AtomicInteger(-1);
      List<String> order = new ArrayList<>();
      EventRelay.Task record =
          (n, b) -> {
            int v = (Integer) n;
            if (v != last.get() + 1) {
              order.add("out of order: " + v + " after " + last.get());
            }
            last.set(v);
          };
      for (int n = 0; n < EventRelay.MAX_BACKLOG; n++) {
        w.relay(record, n, null);
      }
      assertEquals(EventRelay.MAX_BACKLOG, w.backlog());
      Thread releaser =
          new Thread(
              () -> {
                java.util.concurrent.locks.LockSupport.parkNanos(100_000_000L);
                release.countDown();
              });
      releaser.start();
      w.relay(record, EventRelay.MAX_BACKLOG, null); // waits for the entry in progress, runs one
      assertTrue(w.backlog() <= EventRelay.MAX_BACKLOG);
      assertTrue(last.get() >= 0, "the publisher ran the oldest entry");
      w.flush();
      assertEquals(EventRelay.MAX_BACKLOG, last.get());
      assertEquals(List.of(), order);
      releaser.join();
    } finally {
      w.close();
    }
  }

  /** Handing an entry over allocates nothing on the publisher's thread. */
  @Test
  void relay_handingOverAnEntry_allocatesNothing() throws Exception {
    EventRelay.Task nothing = (a, b) -> {};
    Object a = new Object();
    Object b = new Object();
    EventRelay w = new EventRelay("test-relay");
    try {
      for (int i = 0; i < 20_000; i++) {
        w.relay(nothing, a, b);
      }
      w.flush();
      allocatedByThisThread(); // its own reflective lookups allocate once, before the count
      long before = allocatedByThisThread();
      for (int i = 0; i < 10_000; i++) {
        w.relay(nothing, a, b);
      }
      long allocated = allocatedByThisThread() - before;
      assertTrue(allocated < 1_000, allocated + " bytes for 10,000 entries");
    } finally {
      w.close();
    }
  }
}
