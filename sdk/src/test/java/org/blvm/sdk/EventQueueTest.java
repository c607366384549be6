package org.blvm.sdk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link EventQueue}: whole hand-overs in order, a prefix of what does not fit, all taken at once.
 */
@Timeout(30)
final class EventQueueTest {
  private static List<Integer> range(int from, int to) {
    List<Integer> l = new ArrayList<>();
    for (int i = from; i < to; i++) {
      l.add(i);
    }
    return l;
  }

  @Test
  void offerAll_moreThanFits_queuesAPrefixInOrderAndTakeAllReturnsItAll() throws Exception {
    EventQueue<Integer> q = new EventQueue<>(5);
    assertEquals(3, q.offerAll(range(0, 3)));
    assertEquals(2, q.offerAll(range(3, 10))); // 3, 4 fit; 5..9 do not
    assertEquals(0, q.offerAll(range(10, 12)));
    List<Integer> out = new ArrayList<>();
    q.takeAll(out);
    assertEquals(range(0, 5), out);
    assertEquals(0, q.size());
  }

  @Test
  void offerAll_wrapsAroundAndGrows_keepsOrder() throws Exception {
    EventQueue<Integer> q = new EventQueue<>(100_000);
    List<Integer> out = new ArrayList<>();
    int next = 0;
    int expected = 0;
    for (int round = 0; round < 50; round++) {
      int n = 1 + (round * 7919) % 3000;
      assertEquals(n, q.offerAll(range(next, next + n)));
      next += n;
      if (round % 3 == 2) {
        out.clear();
        q.takeAll(out);
        for (int v : out) {
          assertEquals(expected++, v);
        }
      }
    }
    out.clear();
    q.takeAll(out);
    for (int v : out) {
      assertEquals(expected++, v);
    }
    assertEquals(next, expected);
  }

  @Test
  void takeAll_slowConsumer_getsEveryQueuedElementOnceInOrderAndDropsAreTheRest() throws Exception {
    EventQueue<Integer> q = new EventQueue<>(1000);
    int total = 200_000;
    AtomicReference<Throwable> failure = new AtomicReference<>();
    List<Integer> taken = new ArrayList<>();
    Thread consumer =
        new Thread(
            () -> {
              List<Integer> batch = new ArrayList<>();
              try {
                while (true) {
                  q.takeAll(batch);
                  for (int v : batch) {
                    if (v < 0) {
                      return;
                    }
                    taken.add(v);
                    if (v % 1000 == 0) {
                      Thread.sleep(1); // a slow handler: the producer overflows the queue
                    }
                  }
                  batch.clear();
                }
              } catch (Throwable t) {
                failure.set(t);
              }
            });
    consumer.start();
    int queued = 0;
    for (int from = 0; from < total; from += 250) {
      queued += q.offerAll(range(from, from + 250));
    }
    while (q.offerAll(List.of(-1)) == 0) {
      Thread.onSpinWait();
    }
    consumer.join();
    assertEquals(null, failure.get());
    assertEquals(queued, taken.size());
    assertTrue(queued < total, "the slow consumer made the queue overflow");
    for (int i = 1; i < taken.size(); i++) {
      assertTrue(taken.get(i) > taken.get(i - 1), "order broken at " + i);
    }
  }

  @Test
  void constructor_capacityBelowOne_refused() {
    assertThrows(IllegalArgumentException.class, () -> new EventQueue<Integer>(0));
  }
}
