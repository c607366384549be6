package org.blvm.loader;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.blvm.policy.ModulePolicy;
import org.blvm.protocol.Codec;
import org.blvm.protocol.EventPayloads;
import org.blvm.protocol.Frames;
import org.blvm.protocol.Message;
import org.blvm.protocol.SharedEvent;
import org.junit.jupiter.api.Test;

/**
 * {@link OutboundQueue} and {@link OutboundBatch} without a socket: the frames a writer writes for
 * a shared event, the overflow rules, the bounds.
 */
class OutboundQueueTest {
  private final Codec codec = Codec.withDefaults();
  private final AtomicLong dropped = new AtomicLong();
  private final AtomicLong sent = new AtomicLong();
  private final SharedEvent block =
      codec.encodeShared(
          "NewBlock",
          null,
          (Object)
              new EventPayloads.NewBlock(
                  "00000000000000000002a7c4c1e48d76c5a37902165a270156b7a8d72728a054",
                  870_000L,
                  "0000000000000000000172ef5ab4f30e1b17b5ab3e8a8b0e12ab0c5d2e4b5c6d",
                  1_732_000_000L,
                  3_000));

  private OutboundQueue queue(ModulePolicy.EventOverflow rule, int maxFrames, long maxBytes) {
    return new OutboundQueue(
        "m", codec, rule, maxFrames, maxBytes, null, dropped::addAndGet, sent::addAndGet);
  }

  /** One writer's batch as the bytes it puts on the wire, frame by frame. */
  private List<byte[]> takeWritten(OutboundQueue q) throws Exception {
    OutboundBatch batch = new OutboundBatch(codec.direct());
    q.takeBatch(batch);
    List<byte[]> frames = new ArrayList<>();
    for (int i = 0; i < batch.size(); i++) {
      if (batch.isEvent(i)) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int n = batch.writeEvent(i, out);
        assertEquals(out.size(), n);
        frames.add(out.toByteArray());
      } else {
        frames.add(batch.frame(i));
      }
    }
    batch.clear();
    return frames;
  }

  private Message decode(byte[] frame) throws Exception {
    return codec.decode(java.util.Arrays.copyOfRange(frame, Frames.HEADER_BYTES, frame.length));
  }

  @Test
  void sharedEvent_manySubscribers_framesByteIdenticalToAFrameBuiltWhole() throws Exception {
    long[] seqs = {1, 23, 24, 255, 256, 65_535, 65_536, 4_294_967_295L, 4_294_967_296L};
    List<OutboundQueue> subscribers = new ArrayList<>();
    for (int s = 0; s < 3; s++) {
      subscribers.add(queue(ModulePolicy.EventOverflow.DISCONNECT, 64, 1L << 20));
    }
    for (OutboundQueue q : subscribers) {
      long next = 1;
      for (long seq : seqs) {
        q.skipEvents(seq - next); // the numbers in between count as dropped: a marker goes first
        assertEquals(OutboundQueue.Offer.QUEUED, q.offerEvent(block));
        next = seq + 1;
      }
      List<byte[]> written = takeWritten(q);
      // the marker, then one frame per event
      assertEquals(seqs.length + 1, written.size());
      Message.Event marker = (Message.Event) decode(written.get(0));
      assertEquals("EventsDropped", marker.type());
      for (int i = 0; i < seqs.length; i++) {
        byte[] frame = written.get(i + 1);
        assertArrayEquals(codec.eventFrame(block, seqs[i]), frame, "seq " + seqs[i]);
        Message.Event e = (Message.Event) decode(frame);
        assertEquals(seqs[i], e.seq());
        assertArrayEquals(
            codec.encodeFrame(new Message.Event(seqs[i], "NewBlock", null, e.payload())), frame);
      }
    }
    assertEquals(3L * seqs.length, sent.get());
  }

  @Test
  void dropOldest_dropsEventsOldestFirst_keepsControlFramesInOrder() throws Exception {
    OutboundQueue q = queue(ModulePolicy.EventOverflow.DROP_OLDEST, 4, 1L << 20);
    byte[] c1 = Frames.frame(new byte[] {1});
    byte[] c2 = Frames.frame(new byte[] {2});
    q.offerEvent(block); // 1
    q.offerControl(c1);
    q.offerEvent(block); // 2
    q.offerEvent(block); // 3
    assertEquals(OutboundQueue.Offer.QUEUED, q.offerEvent(block)); // 4: drops 1
    assertEquals(OutboundQueue.Offer.QUEUED, q.offerEvent(block)); // 5: drops 2
    assertEquals(OutboundQueue.Offer.QUEUED, q.offerControl(c2)); // drops 3
    assertEquals(4, q.depth());
    assertEquals(3, dropped.get());
    List<byte[]> written = takeWritten(q);
    assertEquals(5, written.size());
    Message.Event marker = (Message.Event) decode(written.get(0));
    assertEquals(3, marker.seq(), "the marker's seq is the last dropped one");
    assertEquals(
        new EventPayloads.EventsDropped(3, 1, 3),
        codec.toValue(marker.payload(), EventPayloads.EventsDropped.class));
    assertSame(c1, written.get(1));
    assertEquals(4, ((Message.Event) decode(written.get(2))).seq());
    assertEquals(5, ((Message.Event) decode(written.get(3))).seq());
    assertSame(c2, written.get(4));
    assertEquals(2, sent.get());
    assertEquals(0, q.depth());
  }

  @Test
  void disconnect_frameOverTheByteBound_closesTheQueue() throws Exception {
    int frame = codec.eventFrame(block, 1).length;
    OutboundQueue q = queue(ModulePolicy.EventOverflow.DISCONNECT, 100, 2L * frame);
    assertEquals(OutboundQueue.Offer.QUEUED, q.offerEvent(block));
    assertEquals(OutboundQueue.Offer.QUEUED, q.offerEvent(block));
    // the bytes taken by the writer are freed: two more fit again
    assertEquals(2, takeWritten(q).size());
    assertEquals(OutboundQueue.Offer.QUEUED, q.offerEvent(block));
    assertEquals(OutboundQueue.Offer.QUEUED, q.offerEvent(block));
    assertNull(q.closeReason());
    assertEquals(OutboundQueue.Offer.OVERFLOWED, q.offerEvent(block));
    assertTrue(q.isClosed());
    assertEquals(
        "outgoing queue full (2 frames, "
            + (2 * frame)
            + " bytes): the module is not reading; disconnected",
        q.closeReason());
    assertEquals(OutboundQueue.Offer.CLOSED, q.offerEvent(block));
    List<byte[]> rest = takeWritten(q);
    assertEquals(1, rest.size());
    assertSame(OutboundQueue.END, rest.get(0));
  }

  /** A frame as the model of the queue sees it: its seq (0: control) and its bytes. */
  private record Model(long seq, int length, byte[] control) {}

  /**
   * Random offers, control frames and batches against a plain list model of the overflow rule (drop
   * queued events oldest first, never a control frame): the same frames come out, in the same
   * order, through ring wrap-arounds and growth.
   */
  @Test
  void dropOldest_randomOperations_matchTheModel() throws Exception {
    Random random = new Random(18);
    int frame = codec.eventFrame(block, 1).length;
    int maxFrames = 90;
    long maxBytes = 70L * frame;
    OutboundQueue q = queue(ModulePolicy.EventOverflow.DROP_OLDEST, maxFrames, maxBytes);
    ArrayDeque<Model> model = new ArrayDeque<>();
    long modelBytes = 0;
    long seq = 0;
    long modelDropped = 0;
    for (int step = 0; step < 20_000; step++) {
      int op = random.nextInt(100);
      if (op < 80) {
        seq++;
        int length = codec.eventFrame(block, seq).length;
        modelBytes = dropUntilFits(model, modelBytes, length, maxFrames, maxBytes);
        assertEquals(OutboundQueue.Offer.QUEUED, q.offerEvent(block));
        model.addLast(new Model(seq, length, null));
        modelBytes += length;
      } else if (op < 90) {
        byte[] c = Frames.frame(new byte[] {(byte) step, (byte) (step >> 8)});
        modelBytes = dropUntilFits(model, modelBytes, c.length, maxFrames, maxBytes);
        assertEquals(OutboundQueue.Offer.QUEUED, q.offerControl(c));
        model.addLast(new Model(0, c.length, c));
        modelBytes += c.length;
      } else if (!model.isEmpty()) {
        List<byte[]> written = takeWritten(q);
        int i = 0;
        if (dropped.get() > modelDropped) {
          assertEquals("EventsDropped", ((Message.Event) decode(written.get(i++))).type());
          modelDropped = dropped.get();
        }
        for (; i < written.size(); i++) {
          Model m = model.pollFirst();
          modelBytes -= m.length();
          if (m.seq() == 0) {
            assertSame(m.control(), written.get(i), "step " + step);
          } else {
            assertEquals(m.seq(), ((Message.Event) decode(written.get(i))).seq(), "step " + step);
            assertEquals(m.length(), written.get(i).length);
          }
        }
      }
      assertEquals(model.size(), q.depth(), "step " + step);
    }
    assertEquals(seq, sent.get() + dropped.get() + countEvents(model));
  }

  private static long dropUntilFits(
      ArrayDeque<Model> model, long bytes, int length, int maxFrames, long maxBytes) {
    for (Iterator<Model> it = model.iterator();
        it.hasNext() && !(model.size() < maxFrames && bytes + length <= maxBytes); ) {
      Model m = it.next();
      if (m.seq() != 0) {
        it.remove();
        bytes -= m.length();
      }
    }
    return bytes;
  }

  private static long countEvents(ArrayDeque<Model> model) {
    return model.stream().filter(m -> m.seq() != 0).count();
  }
}
