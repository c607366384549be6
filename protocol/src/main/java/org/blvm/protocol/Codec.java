package org.blvm.protocol;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.util.JsonGeneratorDelegate;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.deser.std.StdScalarDeserializer;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.type.LogicalType;
import com.fasterxml.jackson.dataformat.cbor.databind.CBORMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Encodes and decodes messages (the CBOR payload of a frame) and converts free-form trees to the
 * typed records of {@link Api} and {@link EventPayloads}. Decoding is strict: unknown keys,
 * duplicate keys, missing keys, wrong types and oversized input are {@link ProtocolException}s.
 * Instances are immutable and thread-safe.
 */
public final class Codec {
  /** The protocol version this build speaks. */
  public static final int PROTOCOL_VERSION = 1;

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final int MAX_METHOD_CHARS = 128;
  private static final int MAX_TOKEN_CHARS = 256;
  private static final int MAX_VERSIONS = 16;

  private final Limits limits;
  private final ObjectMapper cbor;
  private final ObjectMapper values;

  /** The fast path of {@link #toValue} for flat records; reads with {@link #values} otherwise. */
  private final RecordBinder binder;

  /**
   * Serialises typed values straight to CBOR, configured like {@link #values} for serialization
   * (snake_case names, empty records allowed). Used through {@link DefiniteLengths} so the bytes
   * are those of {@code writeCbor(toTree(value))}.
   */
  private final ObjectMapper valuesCbor;

  /** Classes whose direct encoding failed once; they take the tree path from then on. */
  private final Set<Class<?>> treeOnly = ConcurrentHashMap.newKeySet();

  public Codec(Limits limits) {
    this.limits = Objects.requireNonNull(limits);
    // writes trees only: frames are read by CborReader, which enforces the limits
    this.cbor = new ObjectMapper(new WireCborFactory());
    this.values =
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
    this.binder = new RecordBinder(values);
    this.valuesCbor =
        CBORMapper.builder(new WireCborFactory())
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
            .build();
  }

  public static Codec withDefaults() {
    return new Codec(Limits.DEFAULT);
  }

  public Limits limits() {
    return limits;
  }

  // ------------------------------------------------------------------ encode

  /** The CBOR payload of one message (without the length prefix). */
  public byte[] encode(Message m) {
    return writeCbor(toNode(m));
  }

  /** The message as one frame: length prefix + CBOR payload. */
  public byte[] encodeFrame(Message m) {
    return Frames.frame(encode(m));
  }

  /** Encodes any tree as one CBOR item. */
  public byte[] writeCbor(JsonNode node) {
    try {
      return cbor.writeValueAsBytes(node);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private ObjectNode toNode(Message m) {
    ObjectNode o = NODES.objectNode();
    o.put("kind", m.kind());
    if (m instanceof Message.Hello h) {
      ArrayNode v = o.putArray("versions");
      h.versions().forEach(v::add);
      o.put("token", h.token());
    } else if (m instanceof Message.Welcome w) {
      o.put("version", w.version());
      ModuleContext c = w.context();
      ObjectNode ctx = o.putObject("context");
      ctx.put("module_id", c.moduleId());
      ctx.set("config", c.config());
      ctx.put("data_dir", c.dataDir());
      ctx.put("socket_path", c.socketPath());
      ArrayNode caps = ctx.putArray("capabilities");
      c.capabilities().forEach(cap -> caps.add(cap.wireName()));
    } else if (m instanceof Message.Request r) {
      o.put("id", r.id());
      o.put("method", r.method());
      o.set("params", nullToNode(r.params()));
    } else if (m instanceof Message.Response r) {
      o.put("id", r.id());
      if (r.error() != null) {
        o.set("error", errorNode(r.error()));
      } else {
        o.set("result", r.result());
      }
    } else if (m instanceof Message.Event e) {
      o.put("seq", e.seq());
      o.put("type", e.type());
      o.put("source", e.source());
      o.set("payload", e.payload());
    } else if (m instanceof Message.Invoke i) {
      o.put("id", i.id());
      o.put("method", i.method());
      o.set("params", nullToNode(i.params()));
      o.put("caller", i.caller());
    } else if (m instanceof Message.Log l) {
      o.put("level", l.level().wireName());
      o.put("message", l.message());
    } else if (m instanceof Message.Close c) {
      o.put("code", c.code().name());
      o.put("message", c.message());
    } else {
      throw new IllegalArgumentException("unknown message " + m);
    }
    return o;
  }

  private static JsonNode nullToNode(JsonNode n) {
    return n == null ? NullNode.getInstance() : n;
  }

  private static ObjectNode errorNode(ErrorValue e) {
    ObjectNode o = NODES.objectNode();
    o.put("code", e.code().name());
    o.put("message", e.message());
    if (e.capability() != null) {
      o.put("capability", e.capability().wireName());
    }
    return o;
  }

  // ------------------------------------------------------------------ events, encoded once

  /**
   * Encodes an event's type, source and payload once, for delivery to many connections; {@link
   * #eventFrame} adds each connection's sequence number without re-encoding the payload.
   */
  public SharedEvent encodeShared(String type, String source, JsonNode payload) {
    return encodeShared(type, source, (Object) payload);
  }

  /**
   * Like {@link #encodeShared(String, String, JsonNode)} for a typed payload (a record, list or
   * map), encoded straight to CBOR without building a tree first; the bytes are the same as {@code
   * encodeShared(type, source, toTree(payload))}.
   */
  public SharedEvent encodeShared(String type, String source, Object payload) {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(payload, "payload");
    CborWriter w = new CborWriter(256);
    w.text("type").text(type).text("source");
    if (source == null) {
      w.nullValue();
    } else {
      w.text(source);
    }
    w.text("payload");
    writeValue(payload, w);
    return new SharedEvent(type, w.toByteArray());
  }

  /**
   * The frame of a successful response, {@code {kind:"response", id, result}}, with a typed result
   * (a record, list, map, or a tree) encoded straight to CBOR: the same bytes as {@code
   * encodeFrame(Message.Response.ok(id, toTree(result)))}.
   */
  public byte[] encodeResponseFrame(long id, Object result) {
    Objects.requireNonNull(result, "result");
    CborWriter w = new CborWriter(256);
    w.skip(Frames.HEADER_BYTES);
    w.mapHeader(3).text("kind").text("response").text("id").uint(id).text("result");
    writeValue(result, w);
    byte[] frame = w.toByteArray();
    Frames.putHeader(frame, frame.length - Frames.HEADER_BYTES);
    return frame;
  }

  /**
   * Encodes a typed value (a record, a list, a map) as one CBOR item with snake_case keys, without
   * building a tree first: the same bytes as {@code writeCbor(toTree(value))}.
   */
  public byte[] encodeValue(Object value) {
    CborWriter w = new CborWriter(256);
    writeValue(value, w);
    return w.toByteArray();
  }

  /**
   * Appends the CBOR of {@code value} to {@code w}. Jackson's record and map serializers start
   * their maps without a size, which CBOR writes as indefinite-length maps; a tree knows its sizes
   * and is written with definite lengths. {@link DefiniteLengths} supplies the sizes, so both paths
   * give the same bytes. Anything it cannot size (another kind of bean, an iterable) fails the
   * direct encoding, and that class is then encoded through a tree, as before.
   */
  private void writeValue(Object value, CborWriter w) {
    if (value instanceof JsonNode node) {
      w.raw(writeCbor(node));
      return;
    }
    int mark = w.size();
    if (value != null && !treeOnly.contains(value.getClass())) {
      try (JsonGenerator g =
          new DefiniteLengths(valuesCbor.getFactory().createGenerator((java.io.OutputStream) w))) {
        valuesCbor.writeValue(g, value);
        return;
      } catch (IOException | RuntimeException e) {
        if (!(value instanceof Map<?, ?> || value instanceof java.util.Collection<?>)) {
          // a record or bean class: its shape does not change, so do not try again (a container
          // class is not remembered: the next instance may hold something that can be sized)
          treeOnly.add(value.getClass());
        }
        w.truncate(mark);
      }
    }
    w.raw(writeCbor(toTree(value)));
  }

  /** True when values of this class are encoded through a tree (for tests). */
  boolean encodesThroughTree(Class<?> type) {
    return treeOnly.contains(type);
  }

  /** Component counts of record classes, for {@link DefiniteLengths}. */
  /**
   * A reader per target type, with its type and root deserializer looked up once: {@code
   * treeToValue} looks both up in Jackson's caches on every call, which showed up in profiles of
   * the SDK's event thread. Same configuration, so the same strictness.
   */
  private final ClassValue<com.fasterxml.jackson.databind.ObjectReader> readers =
      new ClassValue<>() {
        @Override
        protected com.fasterxml.jackson.databind.ObjectReader computeValue(Class<?> type) {
          return values.readerFor(type);
        }
      };

  private static final ClassValue<Integer> RECORD_SIZES =
      new ClassValue<>() {
        @Override
        protected Integer computeValue(Class<?> type) {
          return type.getRecordComponents().length;
        }
      };

  /**
   * Starts every map and array with its size, as writing a tree does: a record with its number of
   * components, a map with its size. The CBOR generator checks the count when the map ends, so a
   * serializer that writes another number of entries fails instead of producing different bytes.
   * Maps and arrays of unknown size are refused (the caller then encodes through a tree).
   */
  private static final class DefiniteLengths extends JsonGeneratorDelegate {
    DefiniteLengths(JsonGenerator d) {
      super(d, false);
    }

    @Override
    public void writeStartObject() throws IOException {
      throw unsized("a map");
    }

    @Override
    public void writeStartObject(Object forValue) throws IOException {
      if (forValue instanceof Record) {
        delegate.writeStartObject(forValue, RECORD_SIZES.get(forValue.getClass()));
      } else if (forValue instanceof Map<?, ?> map) {
        delegate.writeStartObject(forValue, map.size());
      } else {
        throw unsized("a map for " + (forValue == null ? "null" : forValue.getClass().getName()));
      }
    }

    @Override
    public void writeStartArray() throws IOException {
      throw unsized("an array");
    }

    @Override
    public void writeStartArray(Object forValue) throws IOException {
      throw unsized("an array");
    }

    private IOException unsized(String what) {
      return new IOException("cannot write " + what + " of unknown size directly");
    }
  }

  /** One frame for one connection: {@code {kind:"event", seq, type, source, payload}}. */
  public byte[] eventFrame(SharedEvent event, long seq) {
    CborWriter w = new CborWriter(32 + event.tailLength());
    w.skip(Frames.HEADER_BYTES);
    w.mapHeader(5).text("kind").text("event").text("seq").uint(seq);
    w.raw(event.tail());
    byte[] frame = w.toByteArray();
    int payloadLength = frame.length - Frames.HEADER_BYTES;
    if (payloadLength > limits.maxFrameBytes()) {
      throw new IllegalArgumentException(
          "event of " + payloadLength + " bytes exceeds the frame limit " + limits.maxFrameBytes());
    }
    Frames.putHeader(frame, payloadLength);
    return frame;
  }

  // ------------------------------------------------------------------ decode

  /** Parses one CBOR item within the limits, without interpreting it. */
  public JsonNode readCbor(byte[] payload) throws ProtocolException {
    if (payload.length > limits.maxFrameBytes()) {
      throw new ProtocolException(
          ProtocolException.Reason.FRAME_TOO_LARGE,
          "payload of " + payload.length + " bytes exceeds " + limits.maxFrameBytes());
    }
    return CborReader.readSingle(limits, payload);
  }

  /** Decodes one frame payload into a message, strictly. */
  public Message decode(byte[] payload) throws ProtocolException {
    JsonNode root = readCbor(payload);
    if (!root.isObject()) {
      throw wrongType("message", "a map", root);
    }
    Fields f = new Fields((ObjectNode) root);
    String kind = f.text("kind", 32);
    switch (kind) {
      case "hello":
        {
          f.only("kind", "versions", "token");
          List<Integer> versions = new ArrayList<>();
          JsonNode arr = f.require("versions");
          if (!arr.isArray() || arr.isEmpty() || arr.size() > MAX_VERSIONS) {
            throw new ProtocolException(
                ProtocolException.Reason.WRONG_TYPE,
                "hello.versions must be an array of 1.." + MAX_VERSIONS + " integers");
          }
          for (JsonNode v : arr) {
            if (!v.canConvertToInt() || !v.isIntegralNumber() || v.intValue() < 1) {
              throw wrongType("hello.versions[]", "a positive integer", v);
            }
            versions.add(v.intValue());
          }
          return new Message.Hello(versions, f.text("token", MAX_TOKEN_CHARS));
        }
      case "welcome":
        {
          f.only("kind", "version", "context");
          int version = (int) f.uint("version", Integer.MAX_VALUE);
          JsonNode ctxNode = f.require("context");
          if (!ctxNode.isObject()) {
            throw wrongType("welcome.context", "a map", ctxNode);
          }
          Fields c = new Fields((ObjectNode) ctxNode, "context.");
          c.only("module_id", "config", "data_dir", "socket_path", "capabilities");
          List<Capability> caps = new ArrayList<>();
          JsonNode capsNode = c.require("capabilities");
          if (!capsNode.isArray()) {
            throw wrongType("context.capabilities", "an array", capsNode);
          }
          for (JsonNode n : capsNode) {
            if (!n.isTextual()) {
              throw wrongType("context.capabilities[]", "a text string", n);
            }
            caps.add(
                Capability.fromWire(n.textValue())
                    .orElseThrow(
                        () ->
                            new ProtocolException(
                                ProtocolException.Reason.BAD_FIELD,
                                "unknown capability \"" + n.textValue() + "\"")));
          }
          return new Message.Welcome(
              version,
              new ModuleContext(
                  c.text("module_id", 256),
                  c.require("config"),
                  c.text("data_dir", 4096),
                  c.text("socket_path", 4096),
                  caps));
        }
      case "request":
        f.only("kind", "id", "method", "params");
        return new Message.Request(
            f.id(), f.text("method", MAX_METHOD_CHARS), f.optional("params"));
      case "response":
        {
          f.only("kind", "id", "result", "error");
          long id = f.id();
          JsonNode result = f.root.get("result");
          JsonNode error = f.root.get("error");
          if ((result == null) == (error == null)) {
            throw new ProtocolException(
                ProtocolException.Reason.BAD_FIELD,
                "response must have exactly one of \"result\" and \"error\"");
          }
          if (error != null) {
            return Message.Response.error(id, decodeError(error));
          }
          return Message.Response.ok(id, result);
        }
      case "event":
        {
          f.only("kind", "seq", "type", "source", "payload");
          long seq = f.uint("seq", Long.MAX_VALUE);
          String type = f.text("type", MAX_METHOD_CHARS);
          String source = f.nullableText("source", 256);
          return new Message.Event(seq, type, source, f.require("payload"));
        }
      case "invoke":
        f.only("kind", "id", "method", "params", "caller");
        return new Message.Invoke(
            f.id(),
            f.text("method", MAX_METHOD_CHARS),
            f.optional("params"),
            f.nullableText("caller", 256));
      case "log":
        {
          f.only("kind", "level", "message");
          String level = f.text("level", 8);
          Message.LogLevel parsed = null;
          for (Message.LogLevel l : Message.LogLevel.values()) {
            if (l.wireName().equals(level)) {
              parsed = l;
            }
          }
          if (parsed == null) {
            throw new ProtocolException(
                ProtocolException.Reason.BAD_FIELD,
                "log.level must be one of trace, debug, info, warn, error; found \""
                    + level
                    + "\"");
          }
          return new Message.Log(parsed, f.text("message", limits.maxStringBytes()));
        }
      case "close":
        {
          f.only("kind", "code", "message");
          String code = f.text("code", 64);
          return new Message.Close(
              ErrorCode.fromWire(code)
                  .orElseThrow(
                      () ->
                          new ProtocolException(
                              ProtocolException.Reason.BAD_FIELD,
                              "unknown close code \"" + code + "\"")),
              f.text("message", limits.maxStringBytes()));
        }
      default:
        throw new ProtocolException(
            ProtocolException.Reason.UNKNOWN_KIND,
            "unknown message kind \""
                + kind
                + "\"; expected one of hello, welcome, request,"
                + " response, event, invoke, log, close");
    }
  }

  private ErrorValue decodeError(JsonNode error) throws ProtocolException {
    if (!error.isObject()) {
      throw wrongType("response.error", "a map", error);
    }
    Fields e = new Fields((ObjectNode) error, "error.");
    e.only("code", "message", "capability");
    String codeName = e.text("code", 64);
    ErrorCode code =
        ErrorCode.fromWire(codeName)
            .orElseThrow(
                () ->
                    new ProtocolException(
                        ProtocolException.Reason.BAD_FIELD,
                        "unknown error code \"" + codeName + "\""));
    Capability cap = null;
    String capName = e.nullableText("capability", 64);
    if (capName != null) {
      cap =
          Capability.fromWire(capName)
              .orElseThrow(
                  () ->
                      new ProtocolException(
                          ProtocolException.Reason.BAD_FIELD,
                          "unknown capability \"" + capName + "\""));
    }
    return new ErrorValue(code, e.text("message", limits.maxStringBytes()), cap);
  }

  // ------------------------------------------------------------------ typed values

  /**
   * Converts a free-form tree (params, result, payload) to a typed record, strictly: unknown keys,
   * missing keys, wrong types and failed validation are {@link ProtocolException}s with reason
   * {@link ProtocolException.Reason#BAD_FIELD}. A null or missing tree converts to a record without
   * components. A record of only text, integer, floating-point and boolean components whose tree
   * has exactly its shape is bound directly ({@code RecordBinder}); everything else, including
   * every error, goes through Jackson databind.
   */
  public <T> T toValue(JsonNode node, Class<T> type) throws ProtocolException {
    JsonNode n = orEmpty(node);
    T fast = binder.bind(n, type);
    return fast != null ? fast : readWithJackson(n, type);
  }

  /** {@link #toValue} without the fast path of {@link RecordBinder} (for tests). */
  <T> T toValueWithJackson(JsonNode node, Class<T> type) throws ProtocolException {
    return readWithJackson(orEmpty(node), type);
  }

  /** The fast path of {@link #toValue} (for tests). */
  RecordBinder binder() {
    return binder;
  }

  private static JsonNode orEmpty(JsonNode node) {
    return node == null || node.isNull() ? NODES.objectNode() : node;
  }

  private <T> T readWithJackson(JsonNode n, Class<T> type) throws ProtocolException {
    try {
      return type.cast(readers.get(type).readValue(n));
    } catch (ValueInstantiationException e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      throw new ProtocolException(ProtocolException.Reason.BAD_FIELD, cause.getMessage(), e);
    } catch (IOException | IllegalArgumentException e) {
      String msg =
          e instanceof com.fasterxml.jackson.core.JsonProcessingException j
              ? j.getOriginalMessage()
              : e.getMessage();
      throw new ProtocolException(ProtocolException.Reason.BAD_FIELD, msg, e);
    }
  }

  /** Converts a typed value (a record, a list, a map) to a tree with snake_case keys. */
  public JsonNode toTree(Object value) {
    return values.valueToTree(value);
  }

  // ------------------------------------------------------------------ helpers

  private static ProtocolException wrongType(String field, String expected, JsonNode found) {
    return new ProtocolException(
        ProtocolException.Reason.WRONG_TYPE,
        field + " must be " + expected + ", found " + describe(found));
  }

  static String describe(JsonNode n) {
    if (n == null || n.isMissingNode()) {
      return "nothing";
    }
    switch (n.getNodeType()) {
      case STRING:
        return "a text string";
      case NUMBER:
        return "the number " + n.asText();
      case BOOLEAN:
        return "a boolean";
      case NULL:
        return "null";
      case ARRAY:
        return "an array";
      case OBJECT:
        return "a map";
      case BINARY:
        return "a byte string";
      default:
        return n.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
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

  /** Strict access to the fields of one map. */
  private static final class Fields {
    final ObjectNode root;
    final String prefix;

    Fields(ObjectNode root) {
      this(root, "");
    }

    Fields(ObjectNode root, String prefix) {
      this.root = root;
      this.prefix = prefix;
    }

    void only(String... allowed) throws ProtocolException {
      Iterator<String> it = root.fieldNames();
      while (it.hasNext()) {
        String key = it.next();
        if (!contains(allowed, key)) {
          throw new ProtocolException(
              ProtocolException.Reason.BAD_FIELD,
              "unknown key \"" + prefix + key + "\"; allowed: " + String.join(", ", allowed));
        }
      }
    }

    /** A scan, not a set: at most a handful of keys, checked for every message. */
    private static boolean contains(String[] allowed, String key) {
      for (String a : allowed) {
        if (a.equals(key)) {
          return true;
        }
      }
      return false;
    }

    JsonNode require(String key) throws ProtocolException {
      JsonNode n = root.get(key);
      if (n == null) {
        throw new ProtocolException(
            ProtocolException.Reason.BAD_FIELD, "missing key \"" + prefix + key + "\"");
      }
      return n;
    }

    JsonNode optional(String key) {
      JsonNode n = root.get(key);
      return n == null || n.isNull() ? null : n;
    }

    String text(String key, int maxChars) throws ProtocolException {
      JsonNode n = require(key);
      if (!n.isTextual()) {
        throw wrongType(prefix + key, "a text string", n);
      }
      return bounded(key, n.textValue(), maxChars);
    }

    String nullableText(String key, int maxChars) throws ProtocolException {
      JsonNode n = root.get(key);
      if (n == null || n.isNull()) {
        return null;
      }
      if (!n.isTextual()) {
        throw wrongType(prefix + key, "a text string or null", n);
      }
      return bounded(key, n.textValue(), maxChars);
    }

    private String bounded(String key, String s, int maxChars) throws ProtocolException {
      if (s.length() > maxChars) {
        throw new ProtocolException(
            ProtocolException.Reason.LIMIT_EXCEEDED,
            prefix + key + " has " + s.length() + " characters, at most " + maxChars + " allowed");
      }
      return s;
    }

    long uint(String key, long max) throws ProtocolException {
      JsonNode n = require(key);
      if (!n.isIntegralNumber()
          || !n.canConvertToLong()
          || n.longValue() < 0
          || n.longValue() > max) {
        throw wrongType(prefix + key, "an unsigned integer <= " + max, n);
      }
      return n.longValue();
    }

    long id() throws ProtocolException {
      long id = uint("id", Long.MAX_VALUE);
      if (id == 0) {
        throw new ProtocolException(
            ProtocolException.Reason.BAD_FIELD, prefix + "id must be >= 1, found 0");
      }
      return id;
    }
  }
}
