package org.blvm.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigInteger;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Each kind of bad params, result or payload gives a message in protocol terms: the key's path, the
 * CBOR type the schema expects (named as in protocol.md §6) and what was found; never a Java class,
 * a nested class name or Jackson's vocabulary.
 */
class ValueErrorsTest {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private final Codec codec = Codec.withDefaults();

  private String message(JsonNode tree, Class<?> type) {
    ProtocolException e = assertThrows(ProtocolException.class, () -> codec.toValue(tree, type));
    assertEquals(ProtocolException.Reason.BAD_FIELD, e.reason());
    ProtocolTerms.assertPlain(e.getMessage());
    return e.getMessage();
  }

  private ObjectNode tree(Object sample) {
    return (ObjectNode) codec.toTree(sample);
  }

  private ObjectNode blockTree() {
    Api.BlockHeader header = new Api.BlockHeader(Samples.H1, Samples.H2, Samples.H3, 1, 2, 3, 4, 5);
    return tree(new Api.Block(header, List.of(Samples.H3), 100));
  }

  @Test
  void unknownField_namesTheFieldAndTheAllowedOnes() {
    assertEquals(
        "params has an unknown field \"foo\"; allowed: hash",
        message(tree(new Api.HashParams(Samples.H1)).put("foo", 1), Api.HashParams.class));
  }

  @Test
  void unknownField_inParamsWithoutFields_saysNoneAllowed() {
    assertEquals(
        "params has an unknown field \"foo\"; allowed: none",
        message(NODES.objectNode().put("foo", 1), Api.NoParams.class));
  }

  @Test
  void unknownField_longOrWithControlCharacters_isQuotedCutAndCleaned() {
    String key = "a\nb" + "x".repeat(100);
    String m = message(NODES.objectNode().put(key, 1), Api.NoParams.class);
    assertEquals("params has an unknown field \"a?b" + "x".repeat(61) + "…\"; allowed: none", m);
  }

  @Test
  void missingField_namesIt() {
    assertEquals(
        "params is missing the field \"hash\"", message(NODES.objectNode(), Api.HashParams.class));
  }

  @Test
  void textForInteger_expectedAndFoundInCborTerms() {
    assertEquals(
        "params.height: expected an integer (64-bit), found a text string",
        message(NODES.objectNode().put("height", "5"), Api.HeightParams.class));
  }

  @Test
  void floatForInteger_showsTheNumber() {
    assertEquals(
        "params.target_blocks: expected an integer (32-bit), found the number 6.5",
        message(NODES.objectNode().put("target_blocks", 6.5), Api.FeeEstimateParams.class));
  }

  @Test
  void integerOutOfRange_saysSo() {
    assertEquals(
        "params.target_blocks: expected an integer (32-bit), found the number 2147483648, which"
            + " is out of range",
        message(NODES.objectNode().put("target_blocks", 1L << 31), Api.FeeEstimateParams.class));
    assertEquals(
        "params.height: expected an integer (64-bit), found the number 18446744073709551616,"
            + " which is out of range",
        message(
            NODES.objectNode().put("height", BigInteger.ONE.shiftLeft(64)),
            Api.HeightParams.class));
  }

  @Test
  void numberBooleanOrBytesForText_namesWhatWasFound() {
    assertEquals(
        "params.hash: expected a text string, found the number 7",
        message(NODES.objectNode().put("hash", 7), Api.HashParams.class));
    assertEquals(
        "params.hash: expected a text string, found a boolean",
        message(NODES.objectNode().put("hash", false), Api.HashParams.class));
    assertEquals(
        "params.hash: expected a text string, found a byte string",
        message(NODES.objectNode().put("hash", new byte[] {1, 2}), Api.HashParams.class));
  }

  @Test
  void textForFloat_andIntegerForBoolean() {
    assertEquals(
        "payload.fee_rate: expected a float or an integer, found a text string",
        message(
            tree(new EventPayloads.MempoolTransactionAdded(Samples.H3, 1, 2, 3.0))
                .put("fee_rate", "3"),
            EventPayloads.MempoolTransactionAdded.class));
    assertEquals(
        "result.accepted: expected a boolean, found the number 1",
        message(
            tree(new Api.SubmitBlockResult(true, "ok")).put("accepted", 1),
            Api.SubmitBlockResult.class));
  }

  @Test
  void nullForInteger_saysNull() {
    assertEquals(
        "params.height: expected an integer (64-bit), found null",
        message(NODES.objectNode().putNull("height"), Api.HeightParams.class));
  }

  @Test
  void arrayOrTextForMap_atTheRoot() {
    assertEquals(
        "params: expected a map, found an array",
        message(NODES.arrayNode().add(1), Api.HashParams.class));
    assertEquals(
        "params: expected a map, found a text string",
        message(NODES.textNode("x"), Api.NoParams.class));
  }

  @Test
  void mapForArray_andWrongElement_pathHasTheIndex() {
    ObjectNode p = NODES.objectNode();
    p.putObject("events");
    assertEquals(
        "params.events: expected an array, found a map", message(p, Api.SubscribeParams.class));
    ObjectNode q = NODES.objectNode();
    q.putArray("events").add("NewBlock").add(true);
    assertEquals(
        "params.events[1]: expected a text string, found a boolean",
        message(q, Api.SubscribeParams.class));
  }

  @Test
  void wrongValueInAMap_pathHasTheKey() {
    ObjectNode p = tree(new Api.MetricParams("m", 1.0, java.util.Map.of()));
    p.putObject("labels").put("zone", "a").put("rack", 4);
    assertEquals(
        "params.labels.rack: expected a text string, found the number 4",
        message(p, Api.MetricParams.class));
  }

  @Test
  void nestedRecord_pathThroughTheRecordAndTheList() {
    ObjectNode block = blockTree();
    ((ObjectNode) block.get("header")).put("height", "tall");
    assertEquals(
        "result.header.height: expected an integer (64-bit), found a text string",
        message(block, Api.Block.class));
    ObjectNode entries = tree(new Api.MempoolTransactions(List.of()));
    entries.putArray("transactions").addObject().put("txid", Samples.H3);
    assertEquals(
        "result.transactions[0] is missing the field \"size\"",
        message(entries, Api.MempoolTransactions.class));
  }

  @Test
  void refusedByValidation_givesTheRecordsOwnReasonAtItsPath() {
    assertEquals(
        "params: hash must be 64 lowercase hex characters, found \"ABCD\"",
        message(NODES.objectNode().put("hash", "ABCD"), Api.HashParams.class));
    ObjectNode block = blockTree();
    ((ObjectNode) block.get("header")).put("merkle_root", "xyz");
    assertEquals(
        "result.header: merkle_root must be 64 lowercase hex characters, found \"xyz\"",
        message(block, Api.Block.class));
  }

  @Test
  void nullWhereTheRecordNeedsAValue_namesTheKey() {
    ObjectNode publish = tree(new Api.PublishEventParams("a.b", NODES.objectNode()));
    publish.putNull("type");
    assertEquals(
        "params.type: expected a text string, found null",
        message(publish, Api.PublishEventParams.class));
    assertEquals(
        "params.events: expected an array, found null",
        message(NODES.objectNode().putNull("events"), Api.SubscribeParams.class));
    ObjectNode withNullElement = NODES.objectNode();
    withNullElement.putArray("events").add("NewBlock").addNull();
    assertEquals(
        "params.events[1]: expected a text string, found null",
        message(withNullElement, Api.SubscribeParams.class));
  }

  @Test
  void rootName_followsTheCatalog() {
    assertEquals("params", ValueErrors.rootName(Api.HeightParams.class));
    assertEquals("result", ValueErrors.rootName(Api.ChainTip.class));
    assertEquals("payload", ValueErrors.rootName(EventPayloads.NewBlock.class));
    assertEquals("value", ValueErrors.rootName(Api.PeerInfo.class));
  }

  @Test
  void explicitRoot_startsTheMessage() {
    ProtocolException e =
        assertThrows(
            ProtocolException.class,
            () ->
                codec
                    .values()
                    .toValue(NODES.objectNode().put("height", "x"), Api.HeightParams.class, "q"));
    assertEquals("q.height: expected an integer (64-bit), found a text string", e.getMessage());
  }
}
