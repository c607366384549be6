package org.blvm.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** {@link Codec#toValue} and {@link Codec#toTree} for every catalog type. */
class CodecValuesTest {
  private final Codec codec = Codec.withDefaults();
  private final Map<Class<?>, Object> samples = Samples.all();

  /** Every params, result and payload type the catalogs name, plus the records nested in them. */
  static Set<Class<?>> catalogTypes() {
    Set<Class<?>> types = new LinkedHashSet<>();
    for (NodeMethod m : NodeMethod.values()) {
      types.add(m.paramsType());
      m.resultType().ifPresent(types::add);
    }
    for (EventType t : EventType.values()) {
      types.add(t.payloadType());
    }
    List<Class<?>> todo = new ArrayList<>(types);
    while (!todo.isEmpty()) {
      Class<?> c = todo.remove(0);
      for (RecordComponent rc : c.getRecordComponents()) {
        Class<?> nested = rc.getType();
        if (rc.getGenericType() instanceof java.lang.reflect.ParameterizedType p
            && p.getActualTypeArguments()[0] instanceof Class<?> arg) {
          nested = arg;
        }
        if (nested.isRecord() && types.add(nested)) {
          todo.add(nested);
        }
      }
    }
    return types;
  }

  static String snake(String camel) {
    return camel.replaceAll("([a-z0-9])([A-Z])", "$1_$2").toLowerCase(java.util.Locale.ROOT);
  }

  private Object sample(Class<?> type) {
    Object s = samples.get(type);
    assertNotNull(s, "Samples.all() has no sample of " + type.getName() + "; add one");
    return s;
  }

  @Test
  void samples_existForEveryCatalogType() {
    for (Class<?> type : catalogTypes()) {
      sample(type);
    }
  }

  @Test
  void toValue_toTreeOfEverySample_roundTrips() throws Exception {
    for (Class<?> type : catalogTypes()) {
      Object s = sample(type);
      assertEquals(s, codec.toValue(codec.toTree(s), type), type.getSimpleName());
    }
  }

  @Test
  void toValue_throughCborBytes_roundTrips() throws Exception {
    for (Class<?> type : catalogTypes()) {
      Object s = sample(type);
      JsonNode wire = codec.readCbor(codec.writeCbor(codec.toTree(s)));
      assertEquals(s, codec.toValue(wire, type), type.getSimpleName());
    }
  }

  @Test
  void toTree_everySample_hasExactlyTheSnakeCaseComponentKeys() {
    for (Class<?> type : catalogTypes()) {
      JsonNode tree = codec.toTree(sample(type));
      assertTrue(tree.isObject(), type.getSimpleName());
      List<String> keys = new ArrayList<>();
      tree.fieldNames().forEachRemaining(keys::add);
      List<String> expected = new ArrayList<>();
      for (RecordComponent rc : type.getRecordComponents()) {
        expected.add(snake(rc.getName()));
      }
      assertEquals(Set.copyOf(expected), Set.copyOf(keys), type.getSimpleName());
      assertEquals(expected.size(), keys.size(), type.getSimpleName());
    }
  }

  @Test
  void toTree_nullComponent_keepsTheKeyWithNull() {
    JsonNode tree = codec.toTree(new Api.Transaction(Samples.H3, null, 1, "00"));
    assertTrue(tree.has("block_hash") && tree.get("block_hash").isNull(), tree.toString());
  }

  @Test
  void toValue_unknownKeyInAnyType_throwsBadField() {
    for (Class<?> type : catalogTypes()) {
      ObjectNode tree = ((ObjectNode) codec.toTree(sample(type))).put("surprise", 1);
      ProtocolException e =
          assertThrows(
              ProtocolException.class, () -> codec.toValue(tree, type), type.getSimpleName());
      assertEquals(ProtocolException.Reason.BAD_FIELD, e.reason());
      List<String> names = new ArrayList<>();
      for (RecordComponent rc : type.getRecordComponents()) {
        names.add(snake(rc.getName()));
      }
      assertTrue(
          e.getMessage()
              .endsWith(
                  " has an unknown field \"surprise\"; allowed: "
                      + (names.isEmpty() ? "none" : String.join(", ", names))),
          e.getMessage());
      ProtocolTerms.assertPlain(e.getMessage());
    }
  }

  @Test
  void toValue_eachMissingKeyInAnyType_throwsBadField() {
    for (Class<?> type : catalogTypes()) {
      for (RecordComponent rc : type.getRecordComponents()) {
        ObjectNode tree = (ObjectNode) codec.toTree(sample(type));
        String key = snake(rc.getName());
        tree.remove(key);
        ProtocolException e =
            assertThrows(
                ProtocolException.class,
                () -> codec.toValue(tree, type),
                type.getSimpleName() + " without " + key);
        assertEquals(ProtocolException.Reason.BAD_FIELD, e.reason());
        assertTrue(
            e.getMessage().endsWith(" is missing the field \"" + key + "\""), e.getMessage());
        ProtocolTerms.assertPlain(e.getMessage());
      }
    }
  }

  @Test
  void toValue_nullOrMissingTree_givesRecordWithoutComponents() throws Exception {
    assertEquals(new Api.NoParams(), codec.toValue(null, Api.NoParams.class));
    assertEquals(
        new Api.NoParams(),
        codec.toValue(
            com.fasterxml.jackson.databind.node.NullNode.getInstance(), Api.NoParams.class));
  }

  private ProtocolException badField(JsonNode tree, Class<?> type, String messagePart) {
    ProtocolException e = assertThrows(ProtocolException.class, () -> codec.toValue(tree, type));
    assertEquals(ProtocolException.Reason.BAD_FIELD, e.reason());
    assertTrue(
        e.getMessage().contains(messagePart),
        "message \"" + e.getMessage() + "\" lacks \"" + messagePart + "\"");
    ProtocolTerms.assertPlain(e.getMessage());
    return e;
  }

  private ObjectNode treeOf(Object sample) {
    return (ObjectNode) codec.toTree(sample);
  }

  @Test
  void toValue_stringForNumber_throwsBadField() {
    badField(
        treeOf(samples.get(Api.HeightParams.class)).put("height", "5"),
        Api.HeightParams.class,
        "params.height: expected an integer (64-bit), found a text string");
  }

  @Test
  void toValue_stringForDouble_throwsBadField() {
    badField(
        treeOf(samples.get(Api.MetricParams.class)).put("value", "1.5"),
        Api.MetricParams.class,
        "params.value: expected a float or an integer, found a text string");
  }

  @Test
  void toValue_floatForInt_throwsBadField() {
    badField(
        treeOf(samples.get(Api.HeightParams.class)).put("height", 5.0),
        Api.HeightParams.class,
        "params.height: expected an integer (64-bit), found the number 5.0");
    badField(
        treeOf(samples.get(EventPayloads.ModuleCrashed.class)).put("exit_code", 1.5),
        EventPayloads.ModuleCrashed.class,
        "payload.exit_code: expected an integer (32-bit), found the number 1.5");
  }

  @Test
  void toValue_intForDouble_isAccepted() throws Exception {
    Api.MetricParams p =
        codec.toValue(
            treeOf(samples.get(Api.MetricParams.class)).put("value", 3), Api.MetricParams.class);
    assertEquals(3.0, p.value());
  }

  @Test
  void toValue_numberForString_throwsBadField() {
    badField(
        treeOf(samples.get(EventPayloads.MessageReceived.class)).put("command", 5),
        EventPayloads.MessageReceived.class,
        "payload.command: expected a text string, found the number 5");
  }

  @Test
  void toValue_booleanForString_throwsBadField() {
    badField(
        treeOf(samples.get(EventPayloads.MessageReceived.class)).put("command", true),
        EventPayloads.MessageReceived.class,
        "payload.command: expected a text string, found a boolean");
  }

  @Test
  void toValue_byteStringForString_throwsBadField() {
    badField(
        treeOf(samples.get(EventPayloads.MessageReceived.class)).put("command", new byte[] {1}),
        EventPayloads.MessageReceived.class,
        "payload.command: expected a text string, found a byte string");
  }

  @Test
  void toValue_numberInStringListOrMap_throwsBadField() {
    ObjectNode sub = treeOf(samples.get(Api.SubscribeParams.class));
    sub.putArray("events").add(1);
    badField(
        sub,
        Api.SubscribeParams.class,
        "params.events[0]: expected a text string, found the number 1");
    ObjectNode metric = treeOf(samples.get(Api.MetricParams.class));
    metric.putObject("labels").put("a", 1);
    badField(
        metric,
        Api.MetricParams.class,
        "params.labels.a: expected a text string, found the number 1");
  }

  @Test
  void toValue_intForBoolean_throwsBadField() {
    badField(
        treeOf(samples.get(EventPayloads.PeerConnected.class)).put("inbound", 1),
        EventPayloads.PeerConnected.class,
        "payload.inbound: expected a boolean, found the number 1");
  }

  @Test
  void toValue_nullForPrimitive_throwsBadField() {
    badField(
        treeOf(samples.get(EventPayloads.PeerConnected.class)).putNull("peer_id"),
        EventPayloads.PeerConnected.class,
        "payload.peer_id: expected an integer (64-bit), found null");
  }

  @Test
  void toValue_numberOutOfRange_throwsBadField() {
    badField(
        treeOf(samples.get(Api.FeeEstimateParams.class)).put("target_blocks", 1L << 32),
        Api.FeeEstimateParams.class,
        "params.target_blocks: expected an integer (32-bit), found the number 4294967296, which is"
            + " out of range");
  }

  @Test
  void toValue_badHash_throwsBadFieldNamingTheField() {
    badField(
        treeOf(samples.get(Api.HashParams.class)).put("hash", "ABCD"),
        Api.HashParams.class,
        "hash must be 64 lowercase hex characters, found \"ABCD\"");
    badField(
        treeOf(samples.get(Api.HashParams.class)).put("hash", Samples.H1.toUpperCase()),
        Api.HashParams.class,
        "hash must be 64 lowercase hex");
  }

  @Test
  void toValue_targetBlocksOutOfRange_throwsBadField() {
    badField(
        treeOf(samples.get(Api.FeeEstimateParams.class)).put("target_blocks", 0),
        Api.FeeEstimateParams.class,
        "target_blocks must be in 1..1008, found 0");
  }

  @Test
  void toValue_negativeHeight_throwsBadField() {
    badField(
        treeOf(samples.get(Api.HeightParams.class)).put("height", -1),
        Api.HeightParams.class,
        "height must be >= 0, found -1");
  }

  @Test
  void toValue_oddHex_throwsBadField() {
    badField(
        treeOf(samples.get(Api.SubmitBlockParams.class)).put("block_hex", "abc"),
        Api.SubmitBlockParams.class,
        "block_hex must be an even number");
  }

  @Test
  void toValue_nullRequiredString_throwsBadField() {
    badField(
        treeOf(samples.get(EventPayloads.PeerConnected.class)).putNull("address"),
        EventPayloads.PeerConnected.class,
        "address");
  }

  @Test
  void toValue_arrayForRecord_throwsBadField() {
    badField(codec.toTree(List.of()), Api.NoParams.class, "params: expected a map, found an array");
  }
}
