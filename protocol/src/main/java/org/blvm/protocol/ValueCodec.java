package org.blvm.protocol;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.deser.std.StdScalarDeserializer;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.type.LogicalType;
import java.io.IOException;
import java.util.Objects;

/**
 * Free-form trees (params, results, event payloads) to and from the typed records of {@link Api}
 * and {@link EventPayloads}, with snake_case keys. Reading is strict: unknown keys, missing keys,
 * wrong types and failed validation are {@link ProtocolException}s with reason {@link
 * ProtocolException.Reason#BAD_FIELD}, whose messages name the key by its path, the CBOR type the
 * schema expects and what was found ({@link ValueErrors}), never a Java name. Immutable and
 * thread-safe.
 */
public final class ValueCodec {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  /**
   * A reader per target type, with its type and root deserializer looked up once ({@code
   * treeToValue} looks both up on every call). Same configuration, so the same strictness.
   */
  private final ClassValue<ObjectReader> readers =
      new ClassValue<>() {
        @Override
        protected ObjectReader computeValue(Class<?> type) {
          return Jackson.MAPPER.readerFor(type);
        }
      };

  ValueCodec() {}

  /**
   * The mapper and the fast path of {@link #toValue} for flat records, built when first used: a
   * module's handshake does not need them, and building the mapper loads several hundred classes.
   * Both are immutable, so every codec shares them.
   */
  private static final class Jackson {
    static final ObjectMapper MAPPER =
        JsonMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
            .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
            .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
            // a number, boolean or byte string is not a text string
            .addModule(new SimpleModule().addDeserializer(String.class, new StrictString()))
            .build();

    static final RecordBinder BINDER = new RecordBinder(MAPPER);

    private Jackson() {}
  }

  /**
   * Converts a tree to a typed record, strictly (see the class comment). A null or missing tree
   * converts to a record without components. Error messages start with the tree's role in the
   * protocol: {@code params} for a NodeAPI method's params type, {@code result} for a result type,
   * {@code payload} for an event payload type, {@code value} for anything else.
   */
  public <T> T toValue(JsonNode node, Class<T> type) throws ProtocolException {
    return toValue(node, type, ValueErrors.rootName(type));
  }

  /**
   * Like {@link #toValue(JsonNode, Class)}, with error messages starting at {@code root} (for
   * example {@code "params"} or {@code "payload"}).
   */
  public <T> T toValue(JsonNode node, Class<T> type, String root) throws ProtocolException {
    Objects.requireNonNull(root, "root");
    JsonNode n = orEmpty(node);
    T fast = Jackson.BINDER.bind(n, type);
    return fast != null ? fast : readWithJackson(n, type, root);
  }

  /** Converts a typed value (a record, a list, a map) to a tree with snake_case keys. */
  public JsonNode toTree(Object value) {
    return Jackson.MAPPER.valueToTree(value);
  }

  /** {@link #toValue} without the fast path of {@link RecordBinder} (for tests). */
  <T> T toValueWithJackson(JsonNode node, Class<T> type) throws ProtocolException {
    return readWithJackson(orEmpty(node), type, ValueErrors.rootName(type));
  }

  /** The fast path of {@link #toValue} (for tests). */
  RecordBinder binder() {
    return Jackson.BINDER;
  }

  private static JsonNode orEmpty(JsonNode node) {
    return node == null || node.isNull() ? NODES.objectNode() : node;
  }

  private <T> T readWithJackson(JsonNode n, Class<T> type, String root) throws ProtocolException {
    try {
      return type.cast(readers.get(type).readValue(n));
    } catch (IOException | IllegalArgumentException e) {
      throw new ProtocolException(
          ProtocolException.Reason.BAD_FIELD, ValueErrors.message(n, type, root, e), e);
    }
  }

  /**
   * Reads text strings only. Jackson's own String deserializer turns numbers and booleans into
   * their text and byte strings into base64, which would let a wrongly typed field through.
   */
  private static final class StrictString extends StdScalarDeserializer<String> {
    private static final long serialVersionUID = 1L;

    StrictString() {
      super(String.class);
    }

    @Override
    public String deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
      if (p.hasToken(JsonToken.VALUE_STRING)) {
        return p.getText();
      }
      return (String) ctxt.handleUnexpectedToken(String.class, p);
    }

    @Override
    public LogicalType logicalType() {
      return LogicalType.Textual;
    }
  }
}
