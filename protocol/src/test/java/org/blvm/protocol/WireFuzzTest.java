package org.blvm.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Coverage-guided fuzz targets (Jazzer) for what the loader reads from a module: the frame reader
 * ({@link Frames#read}), the CBOR reader and message decoder ({@link Codec#decode}) and the
 * conversion of free-form trees to typed records ({@link Codec#toValue}), as the dispatcher does
 * for request params. Beyond "no crash", every input must keep these invariants:
 *
 * <ul>
 *   <li>only {@link ProtocolException} escapes, with a reason and a message;
 *   <li>decoding allocates in proportion to the input ({@link Allocation}), never by a length the
 *       input claims;
 *   <li>what decodes re-encodes, and the re-encoding decodes to the same bytes again;
 *   <li>tighter limits only ever refuse more (a message the tight codec accepts, the default one
 *       accepts the same way);
 *   <li>the fast record binder and Jackson agree on every tree, and typed values round-trip.
 * </ul>
 *
 * Without {@code JAZZER_FUZZ} these run as regression tests over the seeds below and the inputs
 * under {@code src/test/resources/org/blvm/protocol/WireFuzzTestInputs/<method>/}; {@code fuzz/run}
 * fuzzes them, with libFuzzer's limit of 1 s per input.
 */
final class WireFuzzTest {
  private static final Codec CODEC = Codec.withDefaults();

  /** Small limits, so that short inputs reach every limit check. */
  private static final Codec TIGHT = new Codec(new Limits(1024, 48, 12, 200, 6));

  /** Every record type the loader or the SDK converts a tree to, in catalog order. */
  private static final List<Class<?>> TYPED = List.copyOf(CodecValuesTest.catalogTypes());

  static {
    // class loading and first-use caches allocate; do it before any input is measured
    for (Message m : CodecRoundTripTest.samples()) {
      try {
        CODEC.decode(CODEC.encode(m));
      } catch (ProtocolException e) {
        throw new AssertionError(e);
      }
    }
  }

  // ------------------------------------------------------------------ targets

  /** One frame payload, as {@code Connection} hands it to the codec. */
  @MethodSource("payloadSeeds")
  @FuzzTest
  void decode(byte[] payload) {
    Message m = decodeChecked(CODEC, payload);
    Message tight = decodeOrNull(TIGHT, payload);
    if (tight != null) {
      assertNotNull(m, "the tight codec accepted what the default codec refused");
      assertArrayEquals(CODEC.encode(m), CODEC.encode(tight));
    }
    if (m == null) {
      return;
    }
    byte[] once = CODEC.encode(m);
    Message again = decodeChecked(CODEC, once);
    assertNotNull(again, "the re-encoding of a decoded " + m.kind() + " was refused");
    assertArrayEquals(once, CODEC.encode(again), "re-encoding is not stable");
    if (m instanceof Message.Request r) {
      NodeMethod.fromWire(r.method()).ifPresent(method -> toValueChecked(r.params(), method));
    }
  }

  /**
   * A byte stream as a module's socket delivers it. The first byte chooses how many bytes one read
   * returns at most (short reads), the rest is the stream; frames are read until the stream ends or
   * a frame is refused, and every payload is decoded.
   */
  @MethodSource("streamSeeds")
  @FuzzTest
  void frames(byte[] input) {
    if (input.length == 0) {
      return;
    }
    int chunk = 1 + (input[0] & 0xFF);
    byte[] stream = Arrays.copyOfRange(input, 1, input.length);
    int max = TIGHT.limits().maxFrameBytes();
    Allocation.check("Frames.read", stream.length, () -> readFrames(stream, chunk, max));
    List<byte[]> payloads = new ArrayList<>();
    ProtocolException refused = readFrames(stream, chunk, max, payloads);
    int consumed = 0;
    for (byte[] payload : payloads) {
      assertTrue(payload.length >= 1 && payload.length <= max, "payload of " + payload.length);
      assertArrayEquals(
          Arrays.copyOfRange(stream, consumed + 4, consumed + 4 + payload.length), payload);
      consumed += 4 + payload.length;
      decodeChecked(TIGHT, payload);
    }
    if (refused == null) {
      assertEquals(stream.length, consumed, "clean end before the stream was read");
    } else {
      checkException(refused);
    }
  }

  private static void readFrames(byte[] stream, int chunk, int max) {
    readFrames(stream, chunk, max, new ArrayList<>());
  }

  /** Reads frames until a clean end (null) or a refusal (returned). */
  private static ProtocolException readFrames(
      byte[] stream, int chunk, int max, List<byte[]> payloads) {
    InputStream in = new ShortReads(stream, chunk);
    try {
      for (byte[] p = Frames.read(in, max); p != null; p = Frames.read(in, max)) {
        payloads.add(p);
      }
      return null;
    } catch (ProtocolException e) {
      return e;
    } catch (IOException e) {
      throw new AssertionError("a byte array stream does not fail", e);
    }
  }

  /**
   * A tree converted to one of the catalog's records. The first byte chooses the record type, the
   * rest is one CBOR item.
   */
  @MethodSource("typedSeeds")
  @FuzzTest
  void typedValues(byte[] input) {
    if (input.length == 0) {
      return;
    }
    Class<?> type = TYPED.get((input[0] & 0xFF) % TYPED.size());
    JsonNode tree;
    try {
      tree = CODEC.readCbor(Arrays.copyOfRange(input, 1, input.length));
    } catch (ProtocolException e) {
      checkException(e);
      return;
    }
    Object fast = toValueOrNull(tree, type, false);
    Object jackson = toValueOrNull(tree, type, true);
    assertEquals(jackson, fast, "the record binder and Jackson disagree for " + type.getName());
    if (fast == null) {
      return;
    }
    JsonNode back = CODEC.toTree(fast);
    assertEquals(fast, toValueOrNull(back, type, false), "typed round trip of " + type.getName());
    assertArrayEquals(
        CODEC.writeCbor(back), CODEC.encodeValue(fast), "encodeValue differs from the tree path");
  }

  // ------------------------------------------------------------------ seeds

  static Stream<byte[]> payloadSeeds() {
    List<byte[]> seeds = new ArrayList<>();
    for (Message m : CodecRoundTripTest.samples()) {
      seeds.add(CODEC.encode(m));
    }
    for (NodeMethod method : NodeMethod.values()) {
      Object params = Samples.all().get(method.paramsType());
      seeds.add(CODEC.encode(new Message.Request(7, method.wireName(), CODEC.toTree(params))));
    }
    byte[] event =
        CODEC.eventFrame(
            CODEC.encodeShared("NewBlock", null, Samples.all().get(EventPayloads.NewBlock.class)),
            3);
    seeds.add(Arrays.copyOfRange(event, Frames.HEADER_BYTES, event.length));
    return seeds.stream();
  }

  static Stream<byte[]> streamSeeds() {
    List<byte[]> seeds = new ArrayList<>();
    List<Message> samples = CodecRoundTripTest.samples();
    for (int chunk : new int[] {0, 6, 255}) {
      java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
      out.write(chunk);
      for (int i = chunk % 5; i < samples.size(); i += 5) {
        out.writeBytes(CODEC.encodeFrame(samples.get(i)));
      }
      seeds.add(out.toByteArray());
    }
    return seeds.stream();
  }

  static Stream<byte[]> typedSeeds() {
    List<byte[]> seeds = new ArrayList<>();
    for (int i = 0; i < TYPED.size(); i++) {
      Object sample = Samples.all().get(TYPED.get(i));
      byte[] cbor = CODEC.encodeValue(sample);
      byte[] seed = new byte[1 + cbor.length];
      seed[0] = (byte) i;
      System.arraycopy(cbor, 0, seed, 1, cbor.length);
      seeds.add(seed);
    }
    return seeds.stream();
  }

  // ------------------------------------------------------------------ checks

  /** Decodes within the allocation bound; null when refused (with a well-formed exception). */
  private static Message decodeChecked(Codec codec, byte[] payload) {
    Allocation.check("Codec.decode", payload.length, () -> decodeOrNull(codec, payload));
    try {
      return codec.decode(payload);
    } catch (ProtocolException e) {
      checkException(e);
      return null;
    }
  }

  private static Message decodeOrNull(Codec codec, byte[] payload) {
    try {
      return codec.decode(payload);
    } catch (ProtocolException e) {
      return null;
    }
  }

  private static void toValueChecked(JsonNode params, NodeMethod method) {
    try {
      assertNotNull(CODEC.toValue(params, method.paramsType()));
    } catch (ProtocolException e) {
      checkException(e);
      assertEquals(ProtocolException.Reason.BAD_FIELD, e.reason(), e.getMessage());
    }
  }

  private static Object toValueOrNull(JsonNode tree, Class<?> type, boolean jackson) {
    try {
      return jackson ? CODEC.values().toValueWithJackson(tree, type) : CODEC.toValue(tree, type);
    } catch (ProtocolException e) {
      checkException(e);
      assertEquals(ProtocolException.Reason.BAD_FIELD, e.reason(), e.getMessage());
      return null;
    }
  }

  static void checkException(ProtocolException e) {
    assertNotNull(e.reason());
    if (e.getMessage() == null || e.getMessage().isBlank()) {
      fail("ProtocolException " + e.reason() + " without a message", e);
    }
  }

  /** Serves a byte array at most {@code chunk} bytes per read, as a socket may. */
  private static final class ShortReads extends InputStream {
    private final byte[] data;
    private final int chunk;
    private int pos;

    ShortReads(byte[] data, int chunk) {
      this.data = data;
      this.chunk = chunk;
    }

    @Override
    public int read() {
      return pos < data.length ? data[pos++] & 0xFF : -1;
    }

    @Override
    public int read(byte[] b, int off, int len) {
      if (len == 0) {
        return 0;
      }
      if (pos == data.length) {
        return -1;
      }
      int n = Math.min(len, Math.min(chunk, data.length - pos));
      System.arraycopy(data, pos, b, off, n);
      pos += n;
      return n;
    }
  }
}
