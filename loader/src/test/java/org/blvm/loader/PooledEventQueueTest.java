package org.blvm.loader;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.TextNode;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.blvm.policy.ModulePolicy;
import org.blvm.protocol.Codec;
import org.blvm.protocol.Frames;
import org.blvm.protocol.SharedEvent;
import org.blvm.protocol.SharedEventPool;
import org.junit.jupiter.api.Test;

/**
 * The lifetime of a pooled {@link SharedEvent} in the outgoing queues: each queue that took it
 * holds one count until the frame was written, dropped, or the queue closed, so its buffer is
 * reused only once no writer can still send it.
 */
class PooledEventQueueTest {
  private final Codec codec = Codec.withDefaults();
  private final SharedEventPool pool = new SharedEventPool();

  private OutboundQueue queue(ModulePolicy.EventOverflow rule, int maxFrames, long maxBytes) {
    return new OutboundQueue("m", codec, rule, maxFrames, maxBytes, null, n -> {}, n -> {});
  }

  private SharedEvent event(String text) {
    return codec.encodeShared("T", null, TextNode.valueOf(text), pool);
  }

  /** Takes one batch and writes it as a writer does (then clears it); returns the frames. */
  private List<byte[]> write(OutboundQueue q) throws Exception {
    OutboundBatch batch = new OutboundBatch(codec.direct());
    q.takeBatch(batch);
    List<byte[]> frames = new ArrayList<>();
    for (int i = 0; i < batch.size(); i++) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      if (batch.isEvent(i)) {
        batch.writeEvent(i, out);
        frames.add(out.toByteArray());
      } else {
        frames.add(batch.frame(i));
      }
    }
    batch.clear();
    return frames;
  }

  @Test
  void sentByEveryQueue_theEventReturnsToThePoolAfterTheLastWrite() throws Exception {
    OutboundQueue q1 = queue(ModulePolicy.EventOverflow.DISCONNECT, 16, 1L << 20);
    OutboundQueue q2 = queue(ModulePolicy.EventOverflow.DISCONNECT, 16, 1L << 20);
    SharedEvent e = event("one");
    byte[] frame = codec.eventFrame(e, 1);
    q1.offerEvent(e);
    q2.offerEvent(e);
    e.release(); // the fan-out's own count
    assertEquals(2, e.holders());
    assertArrayEquals(frame, write(q1).get(0));
    assertEquals(1, e.holders(), "queue 2 has not written it yet");
    assertArrayEquals(frame, write(q2).get(0));
    assertEquals(0, e.holders());
    assertSame(e, event("two"), "back in the pool: the next event reuses it");
  }

  @Test
  void droppedUnderDropOldest_theEventIsReleased() throws Exception {
    OutboundQueue q = queue(ModulePolicy.EventOverflow.DROP_OLDEST, 1, 1L << 20);
    SharedEvent first = event("first");
    q.offerEvent(first);
    first.release();
    SharedEvent second = event("second");
    assertFalse(second == first);
    assertEquals(OutboundQueue.Offer.QUEUED, q.offerEvent(second)); // drops the first
    second.release();
    assertEquals(0, first.holders());
    assertEquals(1, second.holders());
    List<byte[]> written = write(q);
    assertEquals(2, written.size(), "the EventsDropped marker, then the second event");
    assertArrayEquals(codec.eventFrame(second, 2), written.get(1));
    assertEquals(0, second.holders());
  }

  @Test
  void abortedOrOverflowed_theQueuedEventsAreReleased_theRefusedOneNeverRetained()
      throws Exception {
    OutboundQueue aborted = queue(ModulePolicy.EventOverflow.DISCONNECT, 16, 1L << 20);
    OutboundQueue overflowing = queue(ModulePolicy.EventOverflow.DISCONNECT, 1, 1L << 20);
    SharedEvent a = event("a");
    aborted.offerEvent(a);
    overflowing.offerEvent(a);
    a.release();
    assertEquals(2, a.holders());
    aborted.abort("test");
    assertEquals(1, a.holders());
    SharedEvent b = event("b");
    assertEquals(OutboundQueue.Offer.OVERFLOWED, overflowing.offerEvent(b));
    assertEquals(0, a.holders(), "the disconnect dropped what was queued");
    assertEquals(1, b.holders(), "only the fan-out's own count");
    b.release();
    assertEquals(List.of(OutboundQueue.END), write(overflowing));
  }

  @Test
  void closeWith_queuedEventsStayUntilWritten() throws Exception {
    OutboundQueue q = queue(ModulePolicy.EventOverflow.DISCONNECT, 16, 1L << 20);
    SharedEvent e = event("e");
    q.offerEvent(e);
    e.release();
    byte[] last = Frames.frame(new byte[] {1});
    assertTrue(q.closeWith(last, "test"));
    assertEquals(1, e.holders());
    List<byte[]> written = write(q);
    assertEquals(3, written.size());
    assertEquals(0, e.holders());
  }

  /**
   * Several queues with random bounds and rules, a writer thread each that writes every frame after
   * a random pause, random control frames, aborts and closes, all against one pool whose buffers
   * the publisher reuses as soon as they come back: every event frame written must be byte for byte
   * the frame of the event queued with that seq, and every event must end with no holder.
   */
  @Test
  void randomDropsDisconnectsAndCloses_everyWrittenFrameIsItsOwnEventsBytes() throws Exception {
    Random rnd = new Random(20261207L);
    Set<SharedEvent> seen = Collections.newSetFromMap(new IdentityHashMap<>());
    AtomicLong checked = new AtomicLong();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    long id = 0;
    for (int round = 0; round < 12; round++) {
      int n = 4;
      OutboundQueue[] queues = new OutboundQueue[n];
      List<Map<Long, String>> expected = new ArrayList<>();
      long[] nextSeq = new long[n];
      Thread[] writers = new Thread[n];
      for (int i = 0; i < n; i++) {
        ModulePolicy.EventOverflow rule =
            rnd.nextInt(3) == 0
                ? ModulePolicy.EventOverflow.DISCONNECT
                : ModulePolicy.EventOverflow.DROP_OLDEST;
        queues[i] = queue(rule, 2 + rnd.nextInt(64), 2_000 + rnd.nextInt(40_000));
        Map<Long, String> bySeq = new ConcurrentHashMap<>();
        expected.add(bySeq);
        nextSeq[i] = 1;
        OutboundQueue q = queues[i];
        long writerSeed = rnd.nextLong();
        writers[i] =
            new Thread(
                () -> {
                  try {
                    writeAll(q, bySeq, new Random(writerSeed), checked);
                  } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                  }
                });
        writers[i].start();
      }
      for (int k = 0; k < 3_000; k++) {
        String text = "event " + (++id) + " " + "x".repeat(rnd.nextInt(1_500));
        SharedEvent e = event(text);
        synchronized (seen) {
          seen.add(e);
        }
        for (int i = 0; i < n; i++) {
          if (queues[i].isClosed()) {
            continue;
          }
          expected.get(i).put(nextSeq[i], text);
          if (queues[i].offerEvent(e) == OutboundQueue.Offer.QUEUED) {
            nextSeq[i]++;
          } else {
            expected.get(i).remove(nextSeq[i]);
          }
        }
        e.release();
        int dice = rnd.nextInt(1_000);
        OutboundQueue q = queues[rnd.nextInt(n)];
        if (dice < 1) {
          q.abort("test");
        } else if (dice < 2) {
          q.closeWith(Frames.frame(new byte[] {9}), "test");
        } else if (dice < 60) {
          q.offerControl(Frames.frame(new byte[] {7}));
        } else if (dice < 100) {
          Thread.yield();
        }
      }
      for (OutboundQueue q : queues) {
        q.closeWith(Frames.frame(new byte[] {9}), "end of round");
      }
      for (Thread w : writers) {
        w.join(60_000);
        assertFalse(w.isAlive(), "a writer did not end");
      }
      assertNull(failure.get(), () -> "writer failed: " + failure.get());
    }
    assertTrue(checked.get() > 5_000, "frames checked: " + checked.get());
    for (SharedEvent e : seen) {
      assertEquals(0, e.holders(), "every count was released once");
    }
    assertTrue(
        pool.created() * 10 < id,
        "buffers were reused: " + pool.created() + " for " + id + " events");
  }

  /** A writer: every event frame is checked against the event queued with its seq. */
  private void writeAll(OutboundQueue q, Map<Long, String> bySeq, Random rnd, AtomicLong checked)
      throws Exception {
    OutboundBatch batch = new OutboundBatch(codec.direct());
    while (true) {
      q.takeBatch(batch);
      boolean end = false;
      for (int i = 0; i < batch.size() && !end; i++) {
        if (!batch.isEvent(i)) {
          end = batch.frame(i) == OutboundQueue.END;
          continue;
        }
        if (rnd.nextInt(8) == 0) {
          Thread.yield(); // a slow write: the buffer must not come back meanwhile
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        batch.writeEvent(i, out);
        long seq = batch.seq(i);
        String text = bySeq.get(seq);
        assertNotNull(text, "seq " + seq);
        byte[] want = codec.eventFrame(codec.encodeShared("T", null, TextNode.valueOf(text)), seq);
        assertArrayEquals(want, out.toByteArray(), "seq " + seq);
        checked.incrementAndGet();
      }
      batch.clear();
      if (end) {
        return;
      }
    }
  }
}
