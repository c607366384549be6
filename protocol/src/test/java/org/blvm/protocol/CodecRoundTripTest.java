package org.blvm.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** encode then decode gives back an equal message, for every kind. */
class CodecRoundTripTest {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private final Codec codec = Codec.withDefaults();

  /** Free-form values built only from node types that survive CBOR unchanged. */
  static JsonNode tree() {
    ObjectNode o = NODES.objectNode();
    o.put("int", 7).put("neg", -3).put("big", 1L << 40).put("dbl", 2.5).put("t", true);
    o.put("s", "héllo ₿").putNull("nothing").put("bytes", new byte[] {0, 1, (byte) 0xFF});
    o.putArray("list").add(1).add("two").addObject().put("three", 3);
    return o;
  }

  /** One message of every kind, several of some. */
  static List<Message> samples() {
    List<Message> all = new ArrayList<>();
    all.add(new Message.Hello(List.of(1), "one-time-token"));
    all.add(new Message.Hello(List.of(3, 2, 1), ""));
    all.add(
        new Message.Welcome(
            1,
            new ModuleContext(
                "lightning",
                tree(),
                "/var/lib/blvm/modules/lightning",
                "/run/blvm/lightning/sock",
                List.of(Capability.values()))));
    all.add(
        new Message.Welcome(
            1, new ModuleContext("m", NullNode.getInstance(), "/d", "/s", List.of())));
    all.add(new Message.Request(1, "get_chain_tip", null));
    all.add(new Message.Request(Long.MAX_VALUE, "call_module", tree()));
    all.add(Message.Response.ok(1, tree()));
    all.add(Message.Response.ok(2, NullNode.getInstance()));
    all.add(Message.Response.ok(3, NODES.objectNode()));
    all.add(Message.Response.error(4, ErrorValue.of(ErrorCode.NOT_FOUND, "no block")));
    all.add(
        Message.Response.error(
            5, ErrorValue.notCapable(Capability.READ_MEMPOOL, "needs read_mempool")));
    all.add(new Message.Event(1, "NewBlock", null, tree()));
    all.add(new Message.Event(1L << 33, "lightning.invoice_paid", "lightning", tree()));
    all.add(new Message.Invoke(9, "pay", tree(), "wallet"));
    all.add(new Message.Invoke(10, "stop", NODES.objectNode().put("grace_ms", 5000), null));
    all.add(new Message.Invoke(11, "ping", null, null));
    for (Message.LogLevel l : Message.LogLevel.values()) {
      all.add(new Message.Log(l, "line at " + l));
    }
    for (ErrorCode c : ErrorCode.values()) {
      all.add(new Message.Close(c, "closing: " + c));
    }
    return all;
  }

  @Test
  void decode_encodedMessage_equalsOriginal() throws Exception {
    for (Message m : samples()) {
      assertEquals(m, codec.decode(codec.encode(m)), m.kind());
    }
  }

  @Test
  void samples_coverEveryKind() {
    Set<String> kinds = samples().stream().map(Message::kind).collect(Collectors.toSet());
    assertEquals(
        Set.of("hello", "welcome", "request", "response", "event", "invoke", "log", "close"),
        kinds);
  }

  @Test
  void encodeFrame_decodesAsFrameThenMessage() throws Exception {
    for (Message m : samples()) {
      byte[] frame = codec.encodeFrame(m);
      byte[] payload =
          Frames.read(new java.io.ByteArrayInputStream(frame), codec.limits().maxFrameBytes());
      assertEquals(frame.length - 4, payload.length);
      assertEquals(m, codec.decode(payload));
    }
  }

  @Test
  void decode_welcomeWithCapabilities_keepsOrderAndSet() throws Exception {
    List<Capability> caps =
        List.of(Capability.READ_MEMPOOL, Capability.NETWORK_CONNECT, Capability.READ_BLOCKCHAIN);
    Message.Welcome w =
        new Message.Welcome(
            1, new ModuleContext("m", NODES.objectNode().put("k", "v"), "/d", "/s", caps));
    Message.Welcome back = (Message.Welcome) codec.decode(codec.encode(w));
    assertEquals(caps, back.context().capabilities());
    assertEquals(EnumSet.copyOf(caps), EnumSet.copyOf(back.context().capabilities()));
    JsonNode wire = codec.readCbor(codec.encode(w));
    assertEquals("network_connect", wire.get("context").get("capabilities").get(1).textValue());
  }

  @Test
  void encode_keysOfEachKind_areExactlyTheDocumentedOnes() throws Exception {
    for (Message m : samples()) {
      JsonNode wire = codec.readCbor(codec.encode(m));
      Set<String> keys = new java.util.TreeSet<>();
      wire.fieldNames().forEachRemaining(keys::add);
      Set<String> expected =
          switch (m.kind()) {
            case "hello" -> Set.of("kind", "versions", "token");
            case "welcome" -> Set.of("kind", "version", "context");
            case "request" -> Set.of("kind", "id", "method", "params");
            case "response" ->
                Set.of("kind", "id", ((Message.Response) m).error() == null ? "result" : "error");
            case "event" -> Set.of("kind", "seq", "type", "source", "payload");
            case "invoke" -> Set.of("kind", "id", "method", "params", "caller");
            case "log" -> Set.of("kind", "level", "message");
            case "close" -> Set.of("kind", "code", "message");
            default -> Set.of();
          };
      assertEquals(new java.util.TreeSet<>(expected), keys, m.kind());
    }
  }

  @Test
  void encode_errorWithoutCapability_omitsCapabilityKey() throws Exception {
    JsonNode wire =
        codec.readCbor(
            codec.encode(Message.Response.error(1, ErrorValue.of(ErrorCode.TIMEOUT, "slow"))));
    assertTrue(!wire.get("error").has("capability"), wire.toString());
  }

  @Test
  void encode_integersBeyondTheSignedRange_areMajorType0Or1NotBignumTags() throws Exception {
    // a module's response holding 2^64 - 1 and -2^64: both are CBOR integers the reader accepts
    byte[] payload =
        java.util.HexFormat.of()
            .parseHex(
                "a3646b696e6468726573706f6e7365626964016672657375"
                    + "6c74a26175" // "result": {"u":
                    + "1bffffffffffffffff" // 2^64 - 1
                    + "616e" // "n":
                    + "3bffffffffffffffff"); // -2^64
    Message m = codec.decode(payload);
    JsonNode result = ((Message.Response) m).result();
    assertEquals(
        new java.math.BigInteger("18446744073709551615"), result.get("u").bigIntegerValue());
    assertEquals(
        new java.math.BigInteger("-18446744073709551616"), result.get("n").bigIntegerValue());

    // relayed as a response, an event payload and a typed value: the same bytes, no tag
    byte[] again = codec.encode(m);
    assertEquals(
        java.util.HexFormat.of().formatHex(payload), java.util.HexFormat.of().formatHex(again));
    assertEquals(m, codec.decode(again));
    byte[] event = codec.eventFrame(codec.encodeShared("a.b", "relay", result), 1);
    Message.Event e =
        (Message.Event) codec.decode(java.util.Arrays.copyOfRange(event, 4, event.length));
    assertEquals(result, e.payload());
    Api.PublishEventParams typed = new Api.PublishEventParams("a.b", result);
    assertEquals(
        java.util.HexFormat.of().formatHex(codec.writeCbor(codec.toTree(typed))),
        java.util.HexFormat.of().formatHex(codec.encodeValue(typed)));
    assertEquals(result, codec.readCbor(codec.encodeValue(typed)).get("payload"));
  }

  @Test
  void encode_bigIntegerWithinTheSignedRange_isShortest() {
    JsonNode tree =
        NODES.objectNode().set("v", NODES.numberNode(java.math.BigInteger.valueOf(500)));
    assertEquals(
        "a1617619 01f4".replace(" ", ""),
        java.util.HexFormat.of().formatHex(codec.writeCbor(tree)));
  }
}
