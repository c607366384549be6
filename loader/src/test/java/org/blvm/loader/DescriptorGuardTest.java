package org.blvm.loader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The descriptor guard of a connection's direct sends: never a close under a call in flight. */
class DescriptorGuardTest {
  private final AtomicInteger closes = new AtomicInteger();
  private final DescriptorGuard guard = new DescriptorGuard(closes::incrementAndGet);

  @Test
  void close_noUseInFlight_closesAtOnceAndOnlyOnce() {
    guard.close();
    guard.close();
    assertEquals(1, closes.get());
    assertFalse(guard.enter(), "a use entered after the close");
    assertEquals(1, closes.get());
  }

  @Test
  void close_whileUsesInFlight_deferredUntilTheLastExits() {
    assertTrue(guard.enter());
    assertTrue(guard.enter());
    guard.close();
    assertEquals(0, closes.get(), "closed under a call in flight");
    assertFalse(guard.enter(), "a use entered after the close request");
    guard.exit();
    assertEquals(0, closes.get());
    guard.exit();
    assertEquals(1, closes.get());
    guard.close();
    assertEquals(1, closes.get());
  }

  @Test
  void concurrentUsesAndClose_neverClosedWhileAUseIsInside() throws Exception {
    for (int round = 0; round < 200; round++) {
      AtomicInteger inside = new AtomicInteger();
      AtomicLong closedWhileInside = new AtomicLong();
      AtomicInteger closed = new AtomicInteger();
      DescriptorGuard g =
          new DescriptorGuard(
              () -> {
                closed.incrementAndGet();
                if (inside.get() != 0) {
                  closedWhileInside.incrementAndGet();
                }
              });
      AtomicBoolean stop = new AtomicBoolean();
      CountDownLatch go = new CountDownLatch(1);
      List<Thread> users = new ArrayList<>();
      for (int t = 0; t < 3; t++) {
        Thread u =
            new Thread(
                () -> {
                  awaitQuietly(go);
                  while (!stop.get()) {
                    if (!g.enter()) {
                      return;
                    }
                    inside.incrementAndGet();
                    Thread.onSpinWait();
                    inside.decrementAndGet();
                    g.exit();
                  }
                });
        u.start();
        users.add(u);
      }
      go.countDown();
      Thread.yield();
      g.close();
      for (Thread u : users) {
        u.join(5_000);
        assertFalse(u.isAlive());
      }
      stop.set(true);
      assertEquals(1, closed.get(), "round " + round);
      assertEquals(0, closedWhileInside.get(), "round " + round);
    }
  }

  private static void awaitQuietly(CountDownLatch l) {
    try {
      l.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
