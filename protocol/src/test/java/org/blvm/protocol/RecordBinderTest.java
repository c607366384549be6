package org.blvm.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.BigIntegerNode;
import com.fasterxml.jackson.databind.node.BinaryNode;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.DecimalNode;
import com.fasterxml.jackson.databind.node.DoubleNode;
import com.fasterxml.jackson.databind.node.FloatNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.LongNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.POJONode;
import com.fasterxml.jackson.databind.node.ShortNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The fast path of {@link Codec#toValue} ({@link RecordBinder}) accepts only trees that Jackson
 * reads to an equal record, and {@code toValue} answers exactly as Jackson alone does, for valid
 * trees of every record in {@link EventPayloads} and {@link Api} and many broken variants of them.
 */
class RecordBinderTest {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final String HASH = Samples.H1;
  private static final Set<Class<?>> FLAT =
      Set.of(String.class, long.class, int.class, double.class, boolean.class);

  private final Codec codec = Codec.withDefaults();
  private final RecordBinder binder = codec.values().binder();

  // ------------------------------------------------------------------ the records under test

  /** Every record nested in {@link EventPayloads} and {@link Api}: a new one is covered as is. */
  static List<Class<?>> records() {
    List<Class<?>> types = new ArrayList<>();
    for (Class<?> outer : List.of(EventPayloads.class, Api.class)) {
      for (Class<?> c : outer.getDeclaredClasses()) {
        if (c.isRecord()) {
          types.add(c);
        }
      }
    }
    types.sort(Comparator.comparing(Class::getName));
    return types;
  }

  static boolean flat(Class<?> type) {
    return Arrays.stream(type.getRecordComponents()).allMatch(rc -> FLAT.contains(rc.getType()));
  }

  /**
   * Candidate values per component type, the first one valid for every current record (hashes are
   * also valid hex and non-null text); the others are tried one component at a time.
   */
  private static List<Object> candidates(Type generic) {
    Class<?> raw =
        generic instanceof ParameterizedType p ? (Class<?>) p.getRawType() : (Class<?>) generic;
    if (raw == String.class) {
      return Arrays.asList(
          HASH,
          Samples.H3,
          "00ff",
          "",
          "mined",
          "ünïcödé ☃ \u0000",
          HASH.toUpperCase(java.util.Locale.ROOT),
          "zz" + HASH.substring(2),
          null);
    } else if (raw == long.class) {
      return List.of(
          5L,
          0L,
          1L,
          -1L,
          (long) Integer.MAX_VALUE,
          Integer.MAX_VALUE + 1L,
          (long) Integer.MIN_VALUE - 1,
          Long.MAX_VALUE,
          Long.MIN_VALUE);
    } else if (raw == int.class) {
      return List.of(6, 0, 1, -1, 1008, 1009, Integer.MAX_VALUE, Integer.MIN_VALUE);
    } else if (raw == double.class) {
      return List.of(
          2.5,
          0.0,
          -0.0,
          3.0,
          -1e300,
          Double.MIN_VALUE,
          Double.NaN,
          Double.POSITIVE_INFINITY,
          Double.NEGATIVE_INFINITY);
    } else if (raw == boolean.class) {
      return List.of(true, false);
    } else if (raw == Integer.class) {
      return Arrays.asList(7, null);
    } else if (raw == JsonNode.class) {
      return Arrays.asList(Samples.freeForm(), TextNode.valueOf("x"), null);
    } else if (raw == Map.class) {
      return Arrays.asList(Map.of("k", "v"), Map.of(), null);
    } else if (raw == List.class) {
      Type element = ((ParameterizedType) generic).getActualTypeArguments()[0];
      List<Object> elements = candidates(element);
      return List.of(List.of(elements.get(0)), List.of());
    } else if (raw.isRecord()) {
      return List.of(validSamples(raw).get(0));
    }
    throw new AssertionError(
        "no sample values for components of type " + generic + "; add some to candidates()");
  }

  /**
   * Valid instances of a record, built by reflection: one with the first candidate of every
   * component, then one per other candidate that the constructor accepts.
   */
  static List<Object> validSamples(Class<?> type) {
    return validSamplesOf(type);
  }

  /** Records whose components need values no other record's first candidates give. */
  private static final Map<Class<?>, Object> VALID =
      Map.of(
          Api.NetConnectParams.class, new Api.NetConnectParams("hooks.example.org", 443),
          Api.NetListenParams.class, new Api.NetListenParams("0.0.0.0:3333"));

  private static List<Object> validSamplesOf(Class<?> type) {
    RecordComponent[] rcs = type.getRecordComponents();
    Class<?>[] types = Arrays.stream(rcs).map(RecordComponent::getType).toArray(Class<?>[]::new);
    List<List<Object>> values = new ArrayList<>();
    Object[] base = new Object[rcs.length];
    for (int i = 0; i < rcs.length; i++) {
      values.add(candidates(rcs[i].getGenericType()));
      base[i] = values.get(i).get(0);
    }
    Constructor<?> ctor;
    try {
      ctor = type.getDeclaredConstructor(types);
    } catch (NoSuchMethodException e) {
      throw new AssertionError(e);
    }
    List<Object> samples = new ArrayList<>();
    Object first = construct(ctor, base);
    Object valid = VALID.get(type);
    if (first == null && valid != null) {
      // no shared first candidate fits (a host name, an ip:port endpoint): start from a valid one
      for (int i = 0; i < rcs.length; i++) {
        try {
          base[i] = rcs[i].getAccessor().invoke(valid);
        } catch (ReflectiveOperationException e) {
          throw new AssertionError(e);
        }
      }
      first = construct(ctor, base);
    }
    assertNotNull(first, type.getName() + " rejects the first candidates; adjust candidates()");
    samples.add(first);
    for (int i = 0; i < rcs.length; i++) {
      for (Object v : values.get(i).subList(1, values.get(i).size())) {
        Object[] args = base.clone();
        args[i] = v;
        Object s = construct(ctor, args);
        if (s != null) {
          samples.add(s);
        }
      }
    }
    return samples;
  }

  private static Object construct(Constructor<?> ctor, Object[] args) {
    try {
      return ctor.newInstance(args);
    } catch (InvocationTargetException e) {
      return null;
    } catch (ReflectiveOperationException e) {
      throw new AssertionError(e);
    }
  }

  // ------------------------------------------------------------------ trees to try

  /** Values of every node type, including edge values of each, to put in place of a field. */
  private static List<JsonNode> replacements() {
    ObjectNode object = NODES.objectNode();
    object.put("hash", HASH);
    return List.of(
        TextNode.valueOf(HASH),
        TextNode.valueOf(""),
        TextNode.valueOf("x"),
        TextNode.valueOf(HASH.toUpperCase(java.util.Locale.ROOT)),
        TextNode.valueOf("zz" + HASH.substring(2)),
        TextNode.valueOf("0f0"),
        TextNode.valueOf("5"),
        TextNode.valueOf("true"),
        IntNode.valueOf(0),
        IntNode.valueOf(1),
        IntNode.valueOf(-1),
        IntNode.valueOf(6),
        IntNode.valueOf(Integer.MAX_VALUE),
        IntNode.valueOf(Integer.MIN_VALUE),
        LongNode.valueOf(5),
        LongNode.valueOf(Integer.MAX_VALUE + 1L),
        LongNode.valueOf(Integer.MIN_VALUE - 1L),
        LongNode.valueOf(Long.MAX_VALUE),
        LongNode.valueOf(Long.MIN_VALUE),
        BigIntegerNode.valueOf(BigInteger.valueOf(5)),
        BigIntegerNode.valueOf(BigInteger.ONE.shiftLeft(64)),
        BigIntegerNode.valueOf(BigInteger.ONE.shiftLeft(64).negate()),
        ShortNode.valueOf((short) 3),
        DoubleNode.valueOf(2.5),
        DoubleNode.valueOf(3.0),
        DoubleNode.valueOf(-0.0),
        DoubleNode.valueOf(Double.NaN),
        DoubleNode.valueOf(1e19),
        FloatNode.valueOf(1.5f),
        DecimalNode.valueOf(new BigDecimal("1.5")),
        BooleanNode.TRUE,
        BooleanNode.FALSE,
        NullNode.getInstance(),
        NODES.objectNode(),
        object,
        NODES.arrayNode(),
        NODES.arrayNode().add(HASH),
        BinaryNode.valueOf(new byte[] {1, 2}),
        BinaryNode.valueOf(new byte[0]),
        new POJONode(HASH));
  }

  /** A valid tree and variants of it: keys dropped, added, renamed, values of other types. */
  private static List<JsonNode> variants(ObjectNode valid) {
    List<JsonNode> trees = new ArrayList<>();
    trees.add(valid);
    ObjectNode unknown = valid.deepCopy();
    unknown.put("unknown", 1);
    trees.add(unknown);
    ObjectNode unknownNull = valid.deepCopy();
    unknownNull.putNull("unknown");
    trees.add(unknownNull);
    List<String> keys = new ArrayList<>();
    valid.fieldNames().forEachRemaining(keys::add);
    for (String key : keys) {
      ObjectNode dropped = valid.deepCopy();
      dropped.remove(key);
      trees.add(dropped);
      ObjectNode droppedPlusUnknown = dropped.deepCopy();
      droppedPlusUnknown.set("unknown", valid.get(key));
      trees.add(droppedPlusUnknown);
      trees.add(renamed(valid, key, camel(key)));
      trees.add(renamed(valid, key, key.toUpperCase(java.util.Locale.ROOT)));
      for (JsonNode value : replacements()) {
        ObjectNode swapped = valid.deepCopy();
        swapped.set(key, value);
        trees.add(swapped);
      }
    }
    return trees;
  }

  private static ObjectNode renamed(ObjectNode valid, String key, String to) {
    ObjectNode o = NODES.objectNode();
    for (Map.Entry<String, JsonNode> e : valid.properties()) {
      o.set(e.getKey().equals(key) ? to : e.getKey(), e.getValue());
    }
    return o;
  }

  private static String camel(String snake) {
    StringBuilder b = new StringBuilder();
    boolean upper = false;
    for (char c : snake.toCharArray()) {
      if (c == '_') {
        upper = true;
      } else {
        b.append(upper ? Character.toUpperCase(c) : c);
        upper = false;
      }
    }
    return b.toString();
  }

  /** Whole trees that are not a map of the record's fields at all. */
  private static List<JsonNode> roots() {
    List<JsonNode> roots = new ArrayList<>(replacements());
    roots.add(MissingNode.getInstance());
    roots.add(null);
    return roots;
  }

  // ------------------------------------------------------------------ outcomes

  /** What a conversion returned or threw, comparable with equals. */
  private record Outcome(Object value, Class<?> thrown, Object reason, String message) {
    static Outcome of(Conversion c) {
      try {
        return new Outcome(c.run(), null, null, null);
      } catch (ProtocolException e) {
        return new Outcome(null, e.getClass(), e.reason(), e.getMessage());
      } catch (Exception e) {
        return new Outcome(null, e.getClass(), null, e.getMessage());
      }
    }

    boolean failed() {
      return thrown != null;
    }
  }

  private interface Conversion {
    Object run() throws Exception;
  }

  /** Counts over all trees, to show the checks were not vacuous. */
  private int accepted;

  private int declinedJacksonAccepted;
  private int jacksonRejected;

  /** Checks one tree: the fast path agrees with Jackson, and toValue with Jackson alone. */
  private void check(Class<?> type, JsonNode tree) {
    String where = type.getSimpleName() + " from " + tree;
    Outcome jackson = Outcome.of(() -> codec.values().toValueWithJackson(tree, type));
    Object fast = binder.bind(tree == null || tree.isNull() ? NODES.objectNode() : tree, type);
    if (fast != null) {
      accepted++;
      assertFalse(jackson.failed(), "fast path accepted what Jackson rejects: " + where);
      assertEquals(jackson.value(), fast, where);
      assertEquals(type, fast.getClass(), where);
    } else if (jackson.failed()) {
      jacksonRejected++;
    } else {
      declinedJacksonAccepted++;
    }
    assertEquals(jackson, Outcome.of(() -> codec.toValue(tree, type)), where);
    if (jackson.failed()) {
      ProtocolTerms.assertPlain(jackson.message());
    }
  }

  // ------------------------------------------------------------------ tests

  @Test
  void everyRecordAndVariant_fastPathAgreesWithJackson_andToValueWithJacksonAlone() {
    List<Class<?>> records = records();
    assertTrue(records.size() >= 50, "found only " + records.size() + " records");
    for (Class<?> type : records) {
      for (Object sample : validSamples(type)) {
        ObjectNode valid = (ObjectNode) codec.toTree(sample);
        int before = accepted;
        for (JsonNode tree : variants(valid)) {
          check(type, tree);
        }
        // the same tree as it arrives off the wire (integers as small as they fit)
        check(type, readBack(valid));
        if (flat(type)) {
          assertTrue(accepted > before, "fast path took no tree of " + sample);
        }
      }
      for (JsonNode root : roots()) {
        check(type, root);
      }
    }
    assertTrue(accepted > 1_000, "accepted " + accepted);
    assertTrue(declinedJacksonAccepted > 1_000, "declined " + declinedJacksonAccepted);
    assertTrue(jacksonRejected > 10_000, "rejected " + jacksonRejected);
  }

  private JsonNode readBack(JsonNode tree) {
    try {
      return codec.readCbor(codec.writeCbor(tree));
    } catch (ProtocolException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void eligibility_isExactlyTheRecordsOfFlatComponents() {
    for (Class<?> type : records()) {
      assertEquals(flat(type), binder.binds(type), type.getName());
    }
    assertTrue(binder.binds(Api.NoParams.class));
    assertFalse(binder.binds(String.class));
    assertFalse(binder.binds(JsonNode.class));
    assertFalse(binder.binds(int.class));
  }

  /** A map that notes when its entries are iterated, as Jackson's tree parser does. */
  @SuppressWarnings("unchecked") // deepCopy's return type, inherited from ObjectNode
  private static final class Watched extends ObjectNode {
    boolean iterated;

    Watched(JsonNode tree) {
      super(NODES, new java.util.LinkedHashMap<>());
      setAll((ObjectNode) tree);
    }

    @Override
    public Set<Map.Entry<String, JsonNode>> properties() {
      iterated = true;
      return super.properties();
    }
  }

  @Test
  void fastPath_isTakenForNewBlockAndMempoolTransactionAdded() throws Exception {
    List<Object> samples =
        List.of(
            new EventPayloads.NewBlock(HASH, 840_000, Samples.H2, 1_713_571_767L, 3_050),
            new EventPayloads.MempoolTransactionAdded(Samples.H3, 225, 4_500, 20.0));
    for (Object sample : samples) {
      Class<?> type = sample.getClass();
      assertTrue(binder.binds(type), type.getName());
      JsonNode wire = readBack(codec.toTree(sample));
      assertEquals(sample, binder.bind(wire, type));

      Watched tree = new Watched(wire);
      assertEquals(sample, codec.toValue(tree, type));
      assertFalse(tree.iterated, "toValue read " + type.getName() + " with Jackson");
      assertEquals(sample, codec.values().toValueWithJackson(tree, type));
      assertTrue(tree.iterated, "Jackson at work goes unnoticed; fix Watched");
    }
  }

  @Test
  void declinedTree_doesNotStopLaterTreesOfTheClass() {
    EventPayloads.NewBlock sample = new EventPayloads.NewBlock(HASH, 1, Samples.H2, 2, 3);
    ObjectNode invalid = (ObjectNode) codec.toTree(sample);
    invalid.put("hash", "not a hash");
    assertNull(binder.bind(invalid, EventPayloads.NewBlock.class));
    assertNull(binder.bind(NODES.objectNode(), EventPayloads.NewBlock.class));
    assertEquals(sample, binder.bind(codec.toTree(sample), EventPayloads.NewBlock.class));
  }

  @Test
  void nullTree_bindsRecordsWithoutComponents() throws Exception {
    assertEquals(new Api.NoParams(), codec.toValue(null, Api.NoParams.class));
    assertEquals(new Api.Empty(), codec.toValue(NullNode.getInstance(), Api.Empty.class));
    assertEquals(new Api.Empty(), binder.bind(NODES.objectNode(), Api.Empty.class));
  }

  /** A flat record outside the catalogs, to show the checks below are not about visibility. */
  public record Plain(String name, long count) {}

  public record Boxed(String name, Long count) {}

  /** Any annotation kept at run time; Jackson's own would change how a record is read. */
  @Retention(RetentionPolicy.RUNTIME)
  public @interface Note {}

  @Note
  public record Annotated(String name, long count) {}

  public record AnnotatedComponent(String name, @Note long count) {}

  public interface Marker {}

  @Note
  public interface AnnotatedMarker {}

  public record WithInterface(String name) implements Marker {}

  public record WithAnnotatedInterface(String name) implements AnnotatedMarker {}

  /** {@code aB} and {@code a_b} both have the wire name {@code a_b}. */
  public record Colliding(String aB, String a_b) {}

  @Test
  void eligibility_leavesAnythingUnusualToJackson() {
    assertTrue(binder.binds(Plain.class));
    assertTrue(binder.binds(WithInterface.class));
    ObjectNode tree = NODES.objectNode().put("name", "n").put("count", 2);
    assertEquals(new Plain("n", 2), binder.bind(tree, Plain.class));
    assertFalse(binder.binds(Boxed.class));
    assertFalse(binder.binds(Annotated.class));
    assertFalse(binder.binds(AnnotatedComponent.class));
    assertFalse(binder.binds(WithAnnotatedInterface.class));
    assertFalse(binder.binds(Colliding.class));
    record Local(String name) {}
    assertFalse(binder.binds(Local.class));
    assertNull(binder.bind(NODES.objectNode().put("name", "n"), Local.class));
  }
}
