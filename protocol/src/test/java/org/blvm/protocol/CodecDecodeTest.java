package org.blvm.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Malformed and out-of-bounds input to {@link Codec#decode}. */
class CodecDecodeTest {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private final Codec codec = Codec.withDefaults();

  static byte[] hex(String s) {
    return HexFormat.of().parseHex(s.replace(" ", ""));
  }

  private ProtocolException rejects(byte[] payload) {
    return assertThrows(ProtocolException.class, () -> codec.decode(payload));
  }

  private void rejects(byte[] payload, ProtocolException.Reason reason, String messagePart) {
    ProtocolException e = rejects(payload);
    assertEquals(reason, e.reason(), e.getMessage());
    assertTrue(
        e.getMessage().contains(messagePart),
        "message \"" + e.getMessage() + "\" lacks \"" + messagePart + "\"");
  }

  private byte[] cbor(JsonNode n) {
    return codec.writeCbor(n);
  }

  private static ObjectNode request() {
    ObjectNode o = NODES.objectNode();
    o.put("kind", "request").put("id", 1).put("method", "get_chain_tip").putNull("params");
    return o;
  }

  // ------------------------------------------------------------------ not CBOR / not one item

  @Test
  void decode_garbageBytes_throwsMalformedCbor() {
    rejects(hex("ff ff ff"), ProtocolException.Reason.MALFORMED_CBOR, "malformed CBOR");
  }

  @Test
  void decode_reservedAdditionalInfo_throwsMalformedCbor() {
    rejects(hex("1c"), ProtocolException.Reason.MALFORMED_CBOR, "0x1c");
  }

  @Test
  void decode_emptyPayload_throwsMalformedCbor() {
    rejects(new byte[0], ProtocolException.Reason.MALFORMED_CBOR, "empty");
  }

  @Test
  void decode_truncatedItem_throwsMalformedCbor() {
    byte[] full = cbor(request());
    for (int cut = 1; cut < full.length; cut++) {
      byte[] part = java.util.Arrays.copyOf(full, cut);
      ProtocolException e = rejects(part);
      assertEquals(ProtocolException.Reason.MALFORMED_CBOR, e.reason(), "cut at " + cut);
    }
  }

  @Test
  void decode_trailingBytes_throwsMalformedCbor() {
    byte[] full = cbor(request());
    byte[] longer = java.util.Arrays.copyOf(full, full.length + 1);
    rejects(longer, ProtocolException.Reason.MALFORMED_CBOR, "bytes follow");
  }

  @Test
  void decode_invalidUtf8_throwsMalformedCbor() {
    rejects(hex("a1 64 6b696e64 62 c328"), ProtocolException.Reason.MALFORMED_CBOR, "UTF-8");
  }

  // ------------------------------------------------------------------ top level and kind

  @Test
  void decode_topLevelArray_throwsWrongType() {
    rejects(hex("82 01 02"), ProtocolException.Reason.WRONG_TYPE, "found an array");
  }

  @Test
  void decode_topLevelInt_throwsWrongType() {
    rejects(hex("18 2a"), ProtocolException.Reason.WRONG_TYPE, "found the number 42");
  }

  @Test
  void decode_topLevelText_throwsWrongType() {
    rejects(hex("62 6869"), ProtocolException.Reason.WRONG_TYPE, "found a text string");
  }

  @Test
  void decode_missingKind_throwsBadField() {
    ObjectNode o = request();
    o.remove("kind");
    rejects(cbor(o), ProtocolException.Reason.BAD_FIELD, "missing key \"kind\"");
  }

  @Test
  void decode_kindNotText_throwsWrongType() {
    ObjectNode o = request().put("kind", 3);
    rejects(cbor(o), ProtocolException.Reason.WRONG_TYPE, "kind must be a text string");
  }

  @Test
  void decode_unknownKind_throwsUnknownKind() {
    ObjectNode o = request().put("kind", "shutdown");
    rejects(cbor(o), ProtocolException.Reason.UNKNOWN_KIND, "\"shutdown\"");
  }

  @Test
  void decode_unknownKeyForKind_throwsBadField() {
    ObjectNode o = request().put("caller", "x");
    rejects(cbor(o), ProtocolException.Reason.BAD_FIELD, "unknown key \"caller\"");
  }

  @Test
  void decode_unknownKeyInContext_throwsBadField() {
    ObjectNode o = welcome();
    ((ObjectNode) o.get("context")).put("limits", 1);
    rejects(cbor(o), ProtocolException.Reason.BAD_FIELD, "unknown key \"context.limits\"");
  }

  @Test
  void decode_missingRequiredKey_throwsBadField() {
    ObjectNode o = request();
    o.remove("method");
    rejects(cbor(o), ProtocolException.Reason.BAD_FIELD, "missing key \"method\"");
  }

  @Test
  void decode_requestWithoutParams_isAccepted() throws Exception {
    ObjectNode o = request();
    o.remove("params");
    assertEquals(new Message.Request(1, "get_chain_tip", null), codec.decode(cbor(o)));
  }

  // ------------------------------------------------------------------ ids and numbers

  @Test
  void decode_idAsText_throwsWrongType() {
    rejects(cbor(request().put("id", "1")), ProtocolException.Reason.WRONG_TYPE, "id must be");
  }

  @Test
  void decode_idNegative_throwsWrongType() {
    rejects(cbor(request().put("id", -1)), ProtocolException.Reason.WRONG_TYPE, "number -1");
  }

  @Test
  void decode_idZero_throwsBadField() {
    rejects(cbor(request().put("id", 0)), ProtocolException.Reason.BAD_FIELD, "id must be >= 1");
  }

  @Test
  void decode_idFloat_throwsWrongType() {
    rejects(cbor(request().put("id", 1.0)), ProtocolException.Reason.WRONG_TYPE, "id must be");
  }

  @Test
  void decode_idAboveLongMax_throwsWrongType() {
    // id: uint64 0xFFFFFFFFFFFFFFFF (major type 0, not a bignum tag)
    CborWriter w = new CborWriter(64);
    w.mapHeader(4).text("kind").text("request").text("id").raw(hex("1b ffffffffffffffff"));
    w.text("method").text("m").text("params").nullValue();
    byte[] b = w.toByteArray();
    rejects(b, ProtocolException.Reason.WRONG_TYPE, "18446744073709551615");
  }

  @Test
  void decode_idLongMax_isAccepted() throws Exception {
    Message m = codec.decode(cbor(request().put("id", Long.MAX_VALUE)));
    assertEquals(Long.MAX_VALUE, ((Message.Request) m).id());
  }

  @Test
  void decode_methodTooLong_throwsLimitExceeded() {
    rejects(
        cbor(request().put("method", "m".repeat(129))),
        ProtocolException.Reason.LIMIT_EXCEEDED,
        "129 characters, at most 128");
  }

  // ------------------------------------------------------------------ hello

  private static ObjectNode hello() {
    ObjectNode o = NODES.objectNode().put("kind", "hello");
    o.putArray("versions").add(1);
    o.put("token", "t");
    return o;
  }

  @Test
  void decode_helloVersionsEmpty_throwsWrongType() {
    ObjectNode o = hello();
    o.putArray("versions");
    rejects(cbor(o), ProtocolException.Reason.WRONG_TYPE, "array of 1..16 integers");
  }

  @Test
  void decode_helloVersionsNotArray_throwsWrongType() {
    rejects(cbor(hello().put("versions", 1)), ProtocolException.Reason.WRONG_TYPE, "1..16");
  }

  @Test
  void decode_helloSeventeenVersions_throwsWrongType() {
    ObjectNode o = hello();
    var arr = o.putArray("versions");
    for (int i = 1; i <= 17; i++) {
      arr.add(i);
    }
    rejects(cbor(o), ProtocolException.Reason.WRONG_TYPE, "1..16");
  }

  @Test
  void decode_helloVersionZero_throwsWrongType() {
    ObjectNode o = hello();
    o.putArray("versions").add(1).add(0);
    rejects(cbor(o), ProtocolException.Reason.WRONG_TYPE, "hello.versions[] must be");
  }

  @Test
  void decode_helloVersionText_throwsWrongType() {
    ObjectNode o = hello();
    o.putArray("versions").add("1");
    rejects(cbor(o), ProtocolException.Reason.WRONG_TYPE, "found a text string");
  }

  @Test
  void decode_helloTokenTooLong_throwsLimitExceeded() {
    rejects(
        cbor(hello().put("token", "t".repeat(257))),
        ProtocolException.Reason.LIMIT_EXCEEDED,
        "at most 256");
  }

  // ------------------------------------------------------------------ welcome

  private static ObjectNode welcome() {
    ObjectNode o = NODES.objectNode().put("kind", "welcome").put("version", 1);
    ObjectNode c = o.putObject("context");
    c.put("module_id", "m").putNull("config").put("data_dir", "/d").put("socket_path", "/s");
    c.putArray("capabilities").add("read_blockchain");
    return o;
  }

  @Test
  void decode_welcomeUnknownCapability_throwsBadField() {
    ObjectNode o = welcome();
    ((ObjectNode) o.get("context")).putArray("capabilities").add("READ_BLOCKCHAIN");
    rejects(cbor(o), ProtocolException.Reason.BAD_FIELD, "unknown capability \"READ_BLOCKCHAIN\"");
  }

  @Test
  void decode_welcomeContextNotMap_throwsWrongType() {
    rejects(cbor(welcome().put("context", 1)), ProtocolException.Reason.WRONG_TYPE, "a map");
  }

  // ------------------------------------------------------------------ response

  private static ObjectNode response() {
    return NODES.objectNode().put("kind", "response").put("id", 5);
  }

  @Test
  void decode_responseWithResultAndError_throwsBadField() {
    ObjectNode o = response();
    o.putObject("result");
    o.putObject("error").put("code", "INTERNAL").put("message", "x");
    rejects(cbor(o), ProtocolException.Reason.BAD_FIELD, "exactly one of");
  }

  @Test
  void decode_responseWithNeither_throwsBadField() {
    rejects(cbor(response()), ProtocolException.Reason.BAD_FIELD, "exactly one of");
  }

  @Test
  void decode_responseErrorUnknownCode_throwsBadField() {
    ObjectNode o = response();
    o.putObject("error").put("code", "OOPS").put("message", "x");
    rejects(cbor(o), ProtocolException.Reason.BAD_FIELD, "unknown error code \"OOPS\"");
  }

  @Test
  void decode_responseErrorUnknownCapability_throwsBadField() {
    ObjectNode o = response();
    o.putObject("error").put("code", "NOT_CAPABLE").put("message", "x").put("capability", "fly");
    rejects(cbor(o), ProtocolException.Reason.BAD_FIELD, "unknown capability \"fly\"");
  }

  @Test
  void decode_responseErrorNull_throwsWrongType() {
    ObjectNode o = response();
    o.putNull("error");
    rejects(cbor(o), ProtocolException.Reason.WRONG_TYPE, "response.error must be a map");
  }

  @Test
  void decode_responseErrorExtraKey_throwsBadField() {
    ObjectNode o = response();
    o.putObject("error").put("code", "INTERNAL").put("message", "x").put("data", 1);
    rejects(cbor(o), ProtocolException.Reason.BAD_FIELD, "unknown key \"error.data\"");
  }

  // ------------------------------------------------------------------ log, close, event

  @Test
  void decode_logBadLevel_throwsBadField() {
    ObjectNode o = NODES.objectNode().put("kind", "log").put("level", "INFO").put("message", "m");
    rejects(cbor(o), ProtocolException.Reason.BAD_FIELD, "found \"INFO\"");
  }

  @Test
  void decode_closeUnknownCode_throwsBadField() {
    ObjectNode o = NODES.objectNode().put("kind", "close").put("code", "BYE").put("message", "m");
    rejects(cbor(o), ProtocolException.Reason.BAD_FIELD, "unknown close code \"BYE\"");
  }

  @Test
  void decode_eventMissingPayload_throwsBadField() {
    ObjectNode o = NODES.objectNode().put("kind", "event").put("seq", 1).put("type", "NewBlock");
    o.putNull("source");
    rejects(cbor(o), ProtocolException.Reason.BAD_FIELD, "missing key \"payload\"");
  }

  // ------------------------------------------------------------------ map keys

  @Test
  void decode_duplicateKey_throwsDuplicateKey() {
    // {"kind":"log","kind":"log",...}
    CborWriter w = new CborWriter(64);
    w.mapHeader(4).text("kind").text("log").text("level").text("info");
    w.text("message").text("m").text("kind").text("log");
    rejects(w.toByteArray(), ProtocolException.Reason.DUPLICATE_KEY, "\"kind\" appears twice");
  }

  @Test
  void decode_duplicateKeyInNestedMap_throwsDuplicateKey() {
    CborWriter w = new CborWriter(64);
    w.mapHeader(4).text("kind").text("request").text("id").uint(1);
    w.text("method").text("m").text("params").mapHeader(2).text("a").uint(1).text("a").uint(2);
    rejects(w.toByteArray(), ProtocolException.Reason.DUPLICATE_KEY, "\"a\" appears twice");
  }

  @Test
  void decode_integerMapKey_throwsWrongType() {
    // {"kind":"request",...,"params":{1:2}}: Jackson would turn 1 into "1"
    CborWriter w = new CborWriter(64);
    w.mapHeader(4).text("kind").text("request").text("id").uint(1);
    w.text("method").text("m").text("params").mapHeader(1).uint(1).uint(2);
    rejects(w.toByteArray(), ProtocolException.Reason.WRONG_TYPE, "map keys must be text strings");
  }

  @Test
  void decode_byteStringMapKey_throwsWrongType() {
    rejects(
        hex("a1 44 6b696e64 63 6c6f67"), ProtocolException.Reason.WRONG_TYPE, "found major type 2");
  }

  // ------------------------------------------------------------------ limits

  private static byte[] nested(int depth) {
    // params: [[[...[1]...]]] with `depth` arrays inside the top-level map
    CborWriter w = new CborWriter(64 + depth);
    w.mapHeader(4).text("kind").text("request").text("id").uint(1);
    w.text("method").text("m").text("params");
    for (int i = 0; i < depth; i++) {
      w.raw(new byte[] {(byte) 0x81});
    }
    w.uint(1);
    return w.toByteArray();
  }

  @Test
  void decode_nestingAtLimit_isAccepted() throws Exception {
    // the top-level map is level 1, so 31 arrays reach the default depth of 32
    codec.decode(nested(31));
  }

  @Test
  void decode_nestingDeeperThanLimit_throwsLimitExceeded() {
    ProtocolException e = rejects(nested(32));
    assertEquals(ProtocolException.Reason.LIMIT_EXCEEDED, e.reason(), e.getMessage());
  }

  @Test
  void decode_veryDeepNesting_throwsLimitExceededNotStackOverflow() {
    ProtocolException e = rejects(nested(100_000));
    assertEquals(ProtocolException.Reason.LIMIT_EXCEEDED, e.reason(), e.getMessage());
  }

  private static final Limits SMALL = new Limits(1024, 16, 4, 20, 4);

  @Test
  void decode_containerWithTooManyEntries_throwsLimitExceeded() {
    Codec small = new Codec(SMALL);
    ObjectNode o = request();
    o.putArray("params").add(1).add(2).add(3).add(4).add(5);
    ProtocolException e = assertThrows(ProtocolException.class, () -> small.decode(cbor(o)));
    assertEquals(ProtocolException.Reason.LIMIT_EXCEEDED, e.reason());
    assertTrue(e.getMessage().contains("array with more than 4 entries"), e.getMessage());
  }

  @Test
  void decode_mapWithTooManyEntries_throwsLimitExceeded() {
    Codec small = new Codec(SMALL);
    ObjectNode o = request().put("extra", 1);
    ProtocolException e = assertThrows(ProtocolException.class, () -> small.decode(cbor(o)));
    assertEquals(ProtocolException.Reason.LIMIT_EXCEEDED, e.reason());
    assertTrue(e.getMessage().contains("map with more than 4 entries"), e.getMessage());
  }

  @Test
  void decode_tooManyTotalItems_throwsLimitExceeded() {
    Codec small = new Codec(SMALL);
    ObjectNode o = request();
    ObjectNode params = o.putObject("params");
    for (int i = 0; i < 4; i++) {
      params.putArray("k" + i).add(1).add(2).add(3).add(4);
    }
    ProtocolException e = assertThrows(ProtocolException.class, () -> small.decode(cbor(o)));
    assertEquals(ProtocolException.Reason.LIMIT_EXCEEDED, e.reason());
    assertTrue(e.getMessage().contains("more than 20 CBOR items"), e.getMessage());
  }

  @Test
  void decode_textOverMaxString_throwsLimitExceeded() {
    Codec small = new Codec(SMALL);
    ProtocolException e =
        assertThrows(
            ProtocolException.class,
            () -> small.decode(cbor(request().put("method", "x".repeat(17)))));
    assertEquals(ProtocolException.Reason.LIMIT_EXCEEDED, e.reason(), e.getMessage());
  }

  @Test
  void decode_byteStringOverMaxString_throwsLimitExceeded() {
    Codec small = new Codec(SMALL);
    ProtocolException e =
        assertThrows(
            ProtocolException.class,
            () -> small.decode(cbor(request().put("params", new byte[17]))));
    assertEquals(ProtocolException.Reason.LIMIT_EXCEEDED, e.reason());
    assertTrue(e.getMessage().contains("byte string of 17 bytes"), e.getMessage());
  }

  @Test
  void decode_payloadOverFrameLimit_throwsFrameTooLarge() {
    Codec small = new Codec(SMALL);
    ProtocolException e = assertThrows(ProtocolException.class, () -> small.decode(new byte[1025]));
    assertEquals(ProtocolException.Reason.FRAME_TOO_LARGE, e.reason());
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "5a 7fffffff 00", // byte string of 2 GiB - 1
        "5b 7fffffffffffffff 00", // byte string of 2^63 - 1
        "7a 7fffffff 61", // text string of 2 GiB - 1
        "9a 7fffffff 00", // array of 2^31 - 1 entries
        "bb 7fffffffffffffff 61 61 00", // map of 2^63 - 1 entries
      })
  void decode_hugeDeclaredLengthInTinyPayload_throwsProtocolException(String hex) {
    byte[] prefix =
        hex("a4 64 6b696e64 67 72657175657374 62 6964 01 66 6d6574686f64 61 6d 66 706172616d73");
    byte[] tail = hex(hex);
    byte[] payload = new byte[prefix.length + tail.length];
    System.arraycopy(prefix, 0, payload, 0, prefix.length);
    System.arraycopy(tail, 0, payload, prefix.length, tail.length);
    ProtocolException e = rejects(payload);
    assertTrue(
        e.reason() == ProtocolException.Reason.MALFORMED_CBOR
            || e.reason() == ProtocolException.Reason.LIMIT_EXCEEDED,
        e.reason() + ": " + e.getMessage());
  }

  // ------------------------------------------------------------------ CBOR features

  private JsonNode params(String paramsHex) throws ProtocolException {
    byte[] prefix =
        hex("a4 64 6b696e64 67 72657175657374 62 6964 01 66 6d6574686f64 61 6d 66 706172616d73");
    byte[] tail = hex(paramsHex);
    byte[] payload = new byte[prefix.length + tail.length];
    System.arraycopy(prefix, 0, payload, 0, prefix.length);
    System.arraycopy(tail, 0, payload, prefix.length, tail.length);
    return ((Message.Request) codec.decode(payload)).params();
  }

  @Test
  void decode_indefiniteLengthContainersAndStrings_areAccepted() throws Exception {
    // {_ "a": [_ 1, (_ "x", "y")], "b": (_ h'01', h'02') }
    JsonNode p = params("bf 61 61 9f 01 7f 61 78 61 79 ff ff 61 62 5f 41 01 41 02 ff ff");
    assertEquals(1, p.get("a").get(0).intValue());
    assertEquals("xy", p.get("a").get(1).textValue());
    assertTrue(p.get("b").isBinary());
    assertEquals(2, p.get("b").binaryValue().length);
  }

  @Test
  void decode_indefiniteTopLevelMap_isAccepted() throws Exception {
    // {_ "kind": "log", "level": "info", "message": "m"}
    Message m =
        codec.decode(
            hex("bf 64 6b696e64 63 6c6f67 65 6c6576656c 64 696e666f 67 6d657373616765 61 6d ff"));
    assertEquals(new Message.Log(Message.LogLevel.INFO, "m"), m);
  }

  @Test
  void decode_unterminatedIndefiniteMap_throwsMalformedCbor() {
    ProtocolException e = assertThrows(ProtocolException.class, () -> params("bf 61 61 01"));
    assertEquals(ProtocolException.Reason.MALFORMED_CBOR, e.reason());
  }

  @Test
  void decode_indefiniteMapCountsAgainstEntryLimit() {
    Codec small = new Codec(SMALL);
    byte[] payload =
        hex(
            "bf 64 6b696e64 63 6c6f67 65 6c6576656c 64 696e666f 67 6d657373616765 61 6d 61 61 01 61 62 02 ff");
    ProtocolException e = assertThrows(ProtocolException.class, () -> small.decode(payload));
    assertEquals(ProtocolException.Reason.LIMIT_EXCEEDED, e.reason());
  }

  @Test
  void decode_undefined_throwsWrongType() {
    ProtocolException e = assertThrows(ProtocolException.class, () -> params("f7"));
    assertEquals(ProtocolException.Reason.WRONG_TYPE, e.reason());
    assertTrue(e.getMessage().contains("undefined"), e.getMessage());
  }

  @ParameterizedTest
  @ValueSource(strings = {"e0", "f0", "f3", "f8 20", "f8 ff"})
  void decode_simpleValue_throwsWrongType(String hex) {
    ProtocolException e = assertThrows(ProtocolException.class, () -> params(hex));
    assertEquals(ProtocolException.Reason.WRONG_TYPE, e.reason());
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "c0 74 323032342d30312d30315430303a30303a30305a", // tag 0 date string
        "c1 1a 65920080", // tag 1 epoch
        "c2 41 05", // tag 2 bignum
        "c3 41 05", // tag 3 negative bignum
        "c4 82 21 19 6ab3", // tag 4 decimal fraction
        "d9 d9f7 01", // self-described CBOR
        "d8 20 61 61", // tag 32 URI
        "d9 0100 82 63 616263 d8 19 00", // stringref namespace
      })
  void decode_taggedValue_throwsWrongType(String hex) {
    ProtocolException e = assertThrows(ProtocolException.class, () -> params(hex));
    assertEquals(ProtocolException.Reason.WRONG_TYPE, e.reason());
    assertTrue(e.getMessage().contains("tags"), e.getMessage());
  }

  @Test
  void decode_taggedMessage_throwsWrongType() {
    byte[] plain = cbor(request());
    byte[] tagged = new byte[plain.length + 3];
    tagged[0] = (byte) 0xD9;
    tagged[1] = (byte) 0xD9;
    tagged[2] = (byte) 0xF7;
    System.arraycopy(plain, 0, tagged, 3, plain.length);
    ProtocolException e = rejects(tagged);
    assertEquals(ProtocolException.Reason.WRONG_TYPE, e.reason());
  }

  @Test
  void decode_halfFloatFloatAndDouble_decodeAsDoubles() throws Exception {
    // [1.5 as half, 1.5 as single, 1.5 as double, -0.0 half, +Inf half]
    JsonNode p = params("85 f9 3e00 fa 3fc00000 fb 3ff8000000000000 f9 8000 f9 7c00");
    assertEquals(1.5, p.get(0).doubleValue());
    assertEquals(1.5, p.get(1).doubleValue());
    assertEquals(1.5, p.get(2).doubleValue());
    assertEquals(-0.0, p.get(3).doubleValue());
    assertEquals(Double.POSITIVE_INFINITY, p.get(4).doubleValue());
    assertTrue(p.get(0).isFloatingPointNumber());
  }

  @Test
  void decode_nonMinimalIntegerEncoding_isAccepted() throws Exception {
    JsonNode p = params("83 18 05 19 0005 1b 0000000000000005");
    for (JsonNode n : p) {
      assertEquals(5, n.longValue());
    }
  }

  @Test
  void decode_validMessage_returnsMessage() throws Exception {
    assertInstanceOf(Message.Request.class, codec.decode(cbor(request())));
  }
}
