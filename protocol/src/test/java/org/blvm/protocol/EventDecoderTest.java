package org.blvm.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link EventDecoder}: whatever the fast path accepts, the ordinary path ({@link
 * MessageCodec#decode} then {@link ValueCodec#toValue}) reads to an equal event and an equal
 * record; what it declines the ordinary path still reads or rejects.
 */
final class EventDecoderTest {
  private static final Codec CODEC = Codec.withDefaults();

  /** Flat payloads with non-ASCII text and the largest and smallest values of each component. */
  private static final List<Record> EXTREMES =
      List.of(
          new EventPayloads.NewBlock(
              Samples.H1, Long.MAX_VALUE, Samples.H2, Long.MIN_VALUE, Integer.MAX_VALUE),
          new EventPayloads.NewBlock(Samples.H1, 0, Samples.H2, -1, Integer.MIN_VALUE),
          new EventPayloads.NewBlock(Samples.H1, 23, Samples.H2, 24, 65_536),
          new EventPayloads.NewBlock(Samples.H1, 4_294_967_295L, Samples.H2, 4_294_967_296L, -25),
          new EventPayloads.MempoolTransactionAdded(
              Samples.H3, Long.MAX_VALUE, Long.MIN_VALUE, Double.MAX_VALUE),
          new EventPayloads.MempoolTransactionAdded(Samples.H3, 1, -1, Double.NaN),
          new EventPayloads.MempoolTransactionAdded(Samples.H3, 1, 2, -0.0),
          new EventPayloads.PeerConnected(Long.MIN_VALUE, "[2001:db8::1]:8333 ünïcødé 🙂", false),
          new EventPayloads.PeerDisconnected(-1, "€".repeat(300)),
          new EventPayloads.ShareSubmitted("job-ß", Double.MIN_VALUE, true),
          new EventPayloads.FeeRateChanged(Double.NEGATIVE_INFINITY, 1e-300));

  private static List<Record> samples() {
    List<Record> all = new ArrayList<>();
    for (Map.Entry<Class<?>, Object> e : Samples.all().entrySet()) {
      if (e.getValue() instanceof Record r
          && e.getKey().getEnclosingClass() == EventPayloads.class) {
        all.add(r);
      }
    }
    all.addAll(EXTREMES);
    return all;
  }

  private static String typeOf(Record r) {
    return r.getClass().getSimpleName();
  }

  /** An event frame's payload as the node writes it (without the length prefix). */
  private static byte[] frame(Record payload, long seq, String source) {
    return CODEC.encode(new Message.Event(seq, typeOf(payload), source, CODEC.toTree(payload)));
  }

  private static byte[] directFrame(Record payload, long seq) {
    byte[] f = CODEC.eventFrame(CODEC.encodeShared(typeOf(payload), null, (Object) payload), seq);
    return Arrays.copyOfRange(f, Frames.HEADER_BYTES, f.length);
  }

  /** The fast path's result equals the ordinary path's; returns the fast result (maybe null). */
  private static EventDecoder.Decoded checkAgainstOrdinary(byte[] payload, Class<?> type) {
    EventDecoder.Decoded fast = CODEC.events().decode(payload, t -> type);
    if (fast == null) {
      return null;
    }
    Message ordinary;
    Object value;
    try {
      ordinary = CODEC.decode(payload);
      value = CODEC.toValue(((Message.Event) ordinary).payload(), type);
    } catch (ProtocolException e) {
      throw new AssertionError(
          "the fast path accepted what the ordinary path rejects: " + e.getMessage(), e);
    }
    assertEquals(ordinary, fast.event());
    assertEquals(value, fast.value());
    assertEquals(((Message.Event) ordinary).payload(), fast.event().payload());
    return fast;
  }

  @Test
  void decode_everyEventSample_equalsDecodeThenToValue() throws Exception {
    int fast = 0;
    for (Record r : samples()) {
      for (byte[] payload :
          List.of(frame(r, 1, null), frame(r, 1L << 40, "mod-b"), directFrame(r, 7))) {
        EventDecoder.Decoded d = checkAgainstOrdinary(payload, r.getClass());
        boolean flat = CODEC.values().binder().binds(r.getClass());
        if (flat) {
          assertNotNull(d, "a flat record's event must take the fast path: " + r);
          assertEquals(r, d.value());
          fast++;
        } else {
          assertNull(d, "only flat records take the fast path: " + r);
        }
      }
    }
    assertTrue(fast > 40, "fast-path events checked: " + fast);
  }

  @Test
  void decode_payloadTree_isBuiltFromTheFrameWhenUsedAndEqualsTheOrdinaryTree() throws Exception {
    EventPayloads.PeerConnected p = new EventPayloads.PeerConnected(3, "ünï 🙂", true);
    byte[] payload = frame(p, 9, null);
    EventDecoder.Decoded d = CODEC.events().decode(payload, t -> EventPayloads.PeerConnected.class);
    assertNotNull(d);
    JsonNode tree = d.event().payload();
    JsonNode ordinary = ((Message.Event) CODEC.decode(payload)).payload();
    assertEquals(3, tree.size());
    assertEquals("ünï 🙂", tree.get("address").textValue());
    assertEquals(ordinary, tree);
    assertEquals(tree, ordinary);
    assertEquals(ordinary.hashCode(), tree.hashCode());
    assertEquals(ordinary.toString(), tree.toString());
  }

  @Test
  void decode_textInChunks_declinesAndTheOrdinaryPathReadsIt() throws Exception {
    // a long text may be written in indefinite-length chunks: left to the ordinary path
    EventPayloads.PeerDisconnected p = new EventPayloads.PeerDisconnected(-1, "€".repeat(5000));
    byte[] payload = frame(p, 1, null);
    EventDecoder.Decoded d = checkAgainstOrdinary(payload, EventPayloads.PeerDisconnected.class);
    Object value = CODEC.toValue(((Message.Event) CODEC.decode(payload)).payload(), p.getClass());
    assertEquals(p, d == null ? value : d.value());
  }

  @Test
  void decode_notAnEventOrNoRecord_declines() {
    EventPayloads.NewBlock p =
        (EventPayloads.NewBlock) Samples.all().get(EventPayloads.NewBlock.class);
    assertNull(CODEC.events().decode(frame(p, 1, null), t -> null));
    assertNull(
        CODEC.events().decode(frame(p, 1, null), t -> EventPayloads.MempoolTransactionAdded.class));
    assertNull(
        CODEC.events().decode(CODEC.encode(Message.Response.ok(1, CODEC.toTree(p))), t -> null));
    assertNull(CODEC.events().decode(new byte[0], t -> EventPayloads.NewBlock.class));
  }

  @Test
  void decode_mutatedFrames_neverAcceptWhatTheOrdinaryPathRejectsOrReadsDifferently() {
    Random random = new Random(19);
    int accepted = 0;
    int tried = 0;
    for (Record r : samples()) {
      if (!CODEC.values().binder().binds(r.getClass())) {
        continue;
      }
      byte[] base = frame(r, 5, null);
      for (int i = 0; i < 400; i++) {
        byte[] m = base.clone();
        int flips = 1 + random.nextInt(3);
        for (int f = 0; f < flips; f++) {
          int at = random.nextInt(m.length);
          m[at] =
              random.nextBoolean()
                  ? (byte) random.nextInt(256)
                  : (byte) (m[at] ^ (1 << random.nextInt(8)));
        }
        if (random.nextInt(10) == 0) {
          m = Arrays.copyOf(m, random.nextInt(m.length + 4));
        }
        tried++;
        if (checkAgainstOrdinary(m, r.getClass()) != null) {
          accepted++;
        }
      }
    }
    assertTrue(tried > 1000 && accepted > 0, "tried " + tried + ", accepted " + accepted);
  }
}
