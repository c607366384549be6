package org.blvm.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * {@link Codec#encodeValue}, {@link Codec#encodeShared(String, String, Object)} and {@link
 * Codec#encodeResponseFrame}: typed values encoded straight to CBOR give byte for byte what the
 * tree path ({@code writeCbor(toTree(value))}) gives.
 */
class CodecDirectEncodeTest {
  private final Codec codec = Codec.withDefaults();

  private static final String UNICODE = "z\u00fcrich \u20ac \u65e5\u672c \ud83d\ude00 \u0000 end";

  /** Every sample record, plus variants with nulls, extreme numbers, Unicode and long lists. */
  private static List<Object> values() {
    List<Object> all = new ArrayList<>(Samples.all().values());
    all.add(new EventPayloads.MempoolTransactionAdded(Samples.H3, 0, Long.MAX_VALUE, 0.1));
    all.add(new EventPayloads.MempoolTransactionAdded(Samples.H3, Long.MIN_VALUE, -1, -0.0));
    all.add(new EventPayloads.FeeRateChanged(Double.NaN, Double.POSITIVE_INFINITY));
    all.add(new EventPayloads.FeeRateChanged(Double.MIN_VALUE, -Double.MAX_VALUE));
    all.add(new EventPayloads.FeeRateChanged(1.0, 1e300));
    all.add(new EventPayloads.ModuleCrashed("m", null, null));
    all.add(new EventPayloads.ModuleCrashed(UNICODE, Integer.MIN_VALUE, UNICODE));
    all.add(new EventPayloads.BlockValidationCompleted(Samples.H1, 0, true, null));
    all.add(new EventPayloads.ModuleLoaded("m", null));
    all.add(new EventPayloads.ConfigLoaded(List.of(), "{}"));
    all.add(new EventPayloads.ConfigLoaded(List.of("a", UNICODE, "x".repeat(300)), UNICODE));
    all.add(new EventPayloads.PaymentRequestCreated("r", 1L << 40, UNICODE.repeat(20)));
    all.add(new EventPayloads.ShareSubmitted("j", 3.0e-12, false));
    all.add(new Api.Transaction(Samples.H3, Samples.H1, 0, ""));
    all.add(new Api.PeerInfo(-1, "[::1]:8333", true, null));
    all.add(new Api.MetricParams("m", 1.5, Map.of()));
    all.add(new Api.MempoolTransactions(List.of()));
    List<String> many = new ArrayList<>();
    for (int i = 0; i < 70_000; i++) {
      many.add(Integer.toHexString(i));
    }
    all.add(new Api.BlockTemplate(Samples.H1, 1, 2, 3, many));
    all.add(
        new Api.Block(
            Samples.all().values().stream()
                .filter(Api.BlockHeader.class::isInstance)
                .map(Api.BlockHeader.class::cast)
                .findFirst()
                .orElseThrow(),
            List.of(),
            Integer.MAX_VALUE + 1L));
    // plain lists and maps as results
    all.add(List.of(1, 2.5, "three", false));
    Map<String, Object> map = new LinkedHashMap<>();
    map.put("grace_ms", 5000);
    map.put("nothing", null);
    map.put("nested", Map.of("k", List.of(UNICODE)));
    map.put("record", new Api.ChainTip(Samples.H1, 7));
    all.add(map);
    all.add(new TreeMap<>(Map.of("b", 1, "a", 2)));
    all.add(Map.of());
    all.add(List.of());
    return all;
  }

  @Test
  void encodeValue_everyRecordAndVariant_sameBytesAsTreePath() {
    for (Object v : values()) {
      byte[] expected = codec.writeCbor(codec.toTree(v));
      assertArrayEquals(expected, codec.encodeValue(v), () -> v.getClass().getName() + " " + v);
    }
    // and none of them needed the fallback through a tree
    for (Object v : values()) {
      assertFalse(codec.direct().encodesThroughTree(v.getClass()), v.getClass().getName());
    }
  }

  @Test
  void encodeValue_everyEventPayloadType_isCovered() {
    Map<Class<?>, Object> samples = Samples.all();
    for (EventType t : EventType.values()) {
      Object v = samples.get(t.payloadType());
      assertNotNull(v, "no sample for " + t);
      assertArrayEquals(codec.writeCbor(codec.toTree(v)), codec.encodeValue(v), t.name());
    }
    for (NodeMethod m : NodeMethod.values()) {
      m.resultType()
          .ifPresent(
              type -> {
                Object v = samples.get(type);
                assertNotNull(v, "no sample for " + type);
                assertArrayEquals(codec.writeCbor(codec.toTree(v)), codec.encodeValue(v));
              });
    }
  }

  @Test
  void encodeShared_typed_sameBytesAsTreePath() throws Exception {
    for (Object v : values()) {
      if (!(v instanceof Record)) {
        continue;
      }
      for (String source : Arrays.asList(null, "lightning")) {
        SharedEvent typed = codec.encodeShared("NewBlock", source, v);
        SharedEvent tree = codec.encodeShared("NewBlock", source, codec.toTree(v));
        assertArrayEquals(codec.eventFrame(tree, 77), codec.eventFrame(typed, 77), v::toString);
        assertEquals("NewBlock", typed.type());
      }
    }
    // and the strict decoder reads it back to the same record
    EventPayloads.NewBlock block =
        (EventPayloads.NewBlock) Samples.all().get(EventPayloads.NewBlock.class);
    byte[] frame = codec.eventFrame(codec.encodeShared("NewBlock", null, (Object) block), 1);
    Message.Event e =
        (Message.Event) codec.decode(Arrays.copyOfRange(frame, Frames.HEADER_BYTES, frame.length));
    assertEquals(block, codec.toValue(e.payload(), EventPayloads.NewBlock.class));
  }

  @Test
  void encodeResponseFrame_sameBytesAsGenericEncoding() throws Exception {
    for (long id : new long[] {1, 23, 24, 255, 256, 65_536, 1L << 32, Long.MAX_VALUE}) {
      for (Object v : values()) {
        byte[] expected = codec.encodeFrame(Message.Response.ok(id, codec.toTree(v)));
        assertArrayEquals(expected, codec.encodeResponseFrame(id, v), () -> id + " " + v);
      }
    }
    // a tree result (a relayed call_module answer) is written as it is
    JsonNode free = Samples.freeForm();
    assertArrayEquals(
        codec.encodeFrame(Message.Response.ok(9, free)), codec.encodeResponseFrame(9, free));
    byte[] frame = codec.encodeResponseFrame(5, new Api.ChainTip(Samples.H1, 840_000));
    Message.Response r =
        (Message.Response)
            codec.decode(Arrays.copyOfRange(frame, Frames.HEADER_BYTES, frame.length));
    assertEquals(5, r.id());
    assertEquals(
        new Api.ChainTip(Samples.H1, 840_000), codec.toValue(r.result(), Api.ChainTip.class));
  }

  /** Jackson writes a getter as one more property: the sized map would not match. */
  record WithExtraGetter(String name) {
    public int getExtra() {
      return 42;
    }
  }

  /** Not a record: Jackson's bean serializer, whose size the direct path does not know. */
  static final class Bean {
    public String getFirstName() {
      return "a";
    }

    public List<Integer> getSomeNumbers() {
      return List.of(1, 2);
    }
  }

  @Test
  void encodeValue_unsizedValues_fallBackToTheTreePathWithTheSameBytes() {
    Object[] odd = {
      new WithExtraGetter("x"),
      new Bean(),
      Map.of("bean", new Bean()),
      List.of(new Bean()),
      new java.util.LinkedHashSet<>(List.of("s")),
      (Iterable<String>) () -> List.of("i").iterator()
    };
    for (int round = 0; round < 2; round++) { // the second time the class is known as tree-only
      for (Object v : odd) {
        byte[] expected = codec.writeCbor(codec.toTree(v));
        assertArrayEquals(expected, codec.encodeValue(v), () -> HexFormat.of().formatHex(expected));
        assertArrayEquals(
            codec.encodeFrame(Message.Response.ok(3, codec.toTree(v))),
            codec.encodeResponseFrame(3, v));
      }
    }
    assertTrue(codec.direct().encodesThroughTree(WithExtraGetter.class));
    assertTrue(codec.direct().encodesThroughTree(Bean.class));
  }
}
