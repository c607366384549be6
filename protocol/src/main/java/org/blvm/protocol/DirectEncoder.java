package org.blvm.protocol;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.JsonGeneratorDelegate;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.dataformat.cbor.databind.CBORMapper;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Collection;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Encodes the node's hot outgoing frames without building a tree: an event encoded once for many
 * connections ({@link #encodeShared}, then {@link #eventFrame} per connection), a successful
 * response frame ({@link #encodeResponseFrame}) and any typed value ({@link #encodeValue}). Every
 * method gives exactly the bytes of the tree path ({@link MessageCodec#encode} of {@link
 * ValueCodec#toTree}): definite-length maps and arrays, snake_case keys. Thread-safe.
 */
public final class DirectEncoder {
  private static final ClassValue<Integer> RECORD_SIZES =
      new ClassValue<>() {
        @Override
        protected Integer computeValue(Class<?> type) {
          return type.getRecordComponents().length;
        }
      };

  /**
   * Each thread's buffer for encoding an event before it is copied into an array of its exact size
   * (so an event allocates that array and its {@link SharedEvent}) or into a pooled event's buffer.
   * Never used re-entrantly.
   */
  private static final ThreadLocal<CborWriter> SCRATCH =
      ThreadLocal.withInitial(() -> new CborWriter(1024));

  /** A scratch buffer grown beyond this is dropped after use. */
  private static final int MAX_KEPT_SCRATCH_BYTES = 64 * 1024;

  private final Limits limits;
  private final MessageCodec messages;
  private final ValueCodec values;

  /**
   * Flat records written without Jackson's generator; built when first used (it introspects with
   * {@link ValuesCbor#MAPPER}), so an encoder that never encodes a record loads no mapper.
   */
  private static final class Records {
    static final RecordEncoder ENCODER = new RecordEncoder(ValuesCbor.MAPPER);

    private Records() {}
  }

  /** Classes whose direct encoding failed once; they take the tree path from then on. */
  private final Set<Class<?>> treeOnly = ConcurrentHashMap.newKeySet();

  /**
   * Serialises typed values straight to CBOR, configured like {@link ValueCodec} for serialization
   * (snake_case names, empty records allowed). Used through {@link DefiniteLengths} so the bytes
   * are those of the tree path. Built when first used; immutable, so every encoder shares it.
   */
  private static final class ValuesCbor {
    static final ObjectMapper MAPPER =
        CBORMapper.builder(new WireCborFactory())
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
            .build();

    private ValuesCbor() {}
  }

  DirectEncoder(Limits limits, MessageCodec messages, ValueCodec values) {
    this.limits = Objects.requireNonNull(limits);
    this.messages = Objects.requireNonNull(messages);
    this.values = Objects.requireNonNull(values);
  }

  /**
   * Encodes an event's type, source and payload (a tree, record, list or map) once, for delivery to
   * many connections; {@link #eventFrame} adds each connection's sequence number without encoding
   * the payload again. The bytes are those of {@code encodeShared(type, source, toTree(payload))}.
   */
  public SharedEvent encodeShared(String type, String source, Object payload) {
    CborWriter w = encodeTail(type, source, payload);
    byte[] tail = w.copyFrom(0);
    releaseScratch(w);
    return new SharedEvent(type, tail);
  }

  /**
   * {@link #encodeShared} into an event taken from {@code pool} (its one holder is the caller, who
   * releases it once it has handed it to every subscriber): no allocation once the pool has an
   * event of this size free. The bytes are those of {@link #encodeShared}.
   */
  public SharedEvent encodeShared(
      String type, String source, Object payload, SharedEventPool pool) {
    CborWriter w = encodeTail(type, source, payload);
    SharedEvent e = pool.take(type, w.size());
    w.copyTo(e.tail());
    releaseScratch(w);
    return e;
  }

  /** The shared part of an event, in this thread's scratch buffer. */
  private CborWriter encodeTail(String type, String source, Object payload) {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(payload, "payload");
    CborWriter w = SCRATCH.get();
    w.truncate(0);
    w.text("type").text(type).text("source");
    if (source == null) {
      w.nullValue();
    } else {
      w.text(source);
    }
    w.text("payload");
    writeEventPayload(payload, w);
    return w;
  }

  private static void releaseScratch(CborWriter w) {
    if (w.capacity() > MAX_KEPT_SCRATCH_BYTES) {
      SCRATCH.remove(); // a large event's buffer is not kept for the thread's lifetime
    }
  }

  /**
   * One frame for one connection: {@code {kind:"event", seq, type, source, payload}}, as one array.
   * The same bytes as {@link #writeEventFrame}, which the node's writer uses instead.
   */
  public byte[] eventFrame(SharedEvent event, long seq) {
    byte[] frame = new byte[eventFrameLength(event, seq)];
    int n = eventHeader(frame, seq, frame.length - Frames.HEADER_BYTES);
    System.arraycopy(event.tail(), 0, frame, n, event.tailLength());
    return frame;
  }

  /**
   * The bytes {@link #eventFrame} gives for this event and {@code seq}, length prefix included.
   * Throws {@link IllegalArgumentException} when the frame's payload exceeds the frame limit.
   */
  public int eventFrameLength(SharedEvent event, long seq) {
    int payloadLength = EVENT_HEAD.length + CborWriter.uintLength(seq) + event.tailLength();
    if (payloadLength > limits.maxFrameBytes()) {
      throw new IllegalArgumentException(
          "event of " + payloadLength + " bytes exceeds the frame limit " + limits.maxFrameBytes());
    }
    return Frames.HEADER_BYTES + payloadLength;
  }

  /**
   * Writes the frame {@link #eventFrame} gives, without building it: the frame's head (length
   * prefix, {@code kind} and {@code seq}, at most {@link #MAX_EVENT_HEADER_BYTES} bytes) through
   * {@code scratch}, then the shared bytes. Returns the frame's length.
   */
  public int writeEventFrame(OutputStream out, SharedEvent event, long seq, byte[] scratch)
      throws IOException {
    int length = eventFrameLength(event, seq);
    out.write(scratch, 0, eventHeader(scratch, seq, length - Frames.HEADER_BYTES));
    out.write(event.tail(), 0, event.tailLength());
    return length;
  }

  /** {@code {} of 5 entries, "kind": "event", "seq":}: what every event frame starts with. */
  private static final byte[] EVENT_HEAD = {
    (byte) 0xA5, 0x64, 'k', 'i', 'n', 'd', 0x65, 'e', 'v', 'e', 'n', 't', 0x63, 's', 'e', 'q'
  };

  /** Most bytes of an event frame before its shared part (length prefix, kind, seq). */
  public static final int MAX_EVENT_HEADER_BYTES = Frames.HEADER_BYTES + EVENT_HEAD.length + 9;

  /** Puts the length prefix, {@link #EVENT_HEAD} and {@code seq} into {@code into}; their size. */
  private static int eventHeader(byte[] into, long seq, int payloadLength) {
    Frames.putHeader(into, payloadLength);
    System.arraycopy(EVENT_HEAD, 0, into, Frames.HEADER_BYTES, EVENT_HEAD.length);
    return CborWriter.putUint(into, Frames.HEADER_BYTES + EVENT_HEAD.length, seq);
  }

  /**
   * The frame of a successful response, {@code {kind:"response", id, result}}, with a typed result
   * (a record, list, map, or a tree): the same bytes as {@code encodeFrame(Message.Response.ok(id,
   * toTree(result)))}.
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

  /** A typed value (a record, a list, a map) as one CBOR item: {@code writeCbor(toTree(value))}. */
  public byte[] encodeValue(Object value) {
    CborWriter w = new CborWriter(256);
    writeValue(value, w);
    return w.toByteArray();
  }

  /** True when values of this class are written without Jackson's generator (for tests). */
  boolean encodesDirectly(Object value) {
    return value instanceof Record && Records.ENCODER.plan(value).verified();
  }

  /** True when values of this class are encoded through a tree (for tests). */
  boolean encodesThroughTree(Class<?> type) {
    return treeOnly.contains(type);
  }

  /**
   * An event's payload: a flat record straight from its components ({@link RecordEncoder}), once
   * its class gave the same bytes as {@link #writeValue}; anything else through {@link
   * #writeValue}.
   */
  private void writeEventPayload(Object value, CborWriter w) {
    int mark = w.size();
    RecordEncoder.Plan plan =
        value instanceof Record ? Records.ENCODER.plan(value) : RecordEncoder.NONE;
    if (plan.verified()) {
      if (plan.write(value, w)) {
        return;
      }
      w.truncate(mark); // this value (a null, a long string) takes Jackson's path
    } else if (plan.unverified()) {
      verify(plan, value, w);
      return;
    }
    writeValue(value, w);
  }

  /**
   * Writes {@code value} through Jackson and, when the plan wrote it as well, records whether both
   * gave the same bytes: the plan is used from then on only if they did.
   */
  private void verify(RecordEncoder.Plan plan, Object value, CborWriter w) {
    int mark = w.size();
    byte[] direct = plan.write(value, w) ? w.copyFrom(mark) : null;
    w.truncate(mark);
    writeValue(value, w);
    if (direct != null) {
      plan.verdict(w.endsWith(mark, direct));
    }
  }

  /**
   * Appends the CBOR of {@code value} to {@code w}. Jackson's record and map serializers start
   * their maps without a size, which CBOR writes as indefinite-length maps; a tree knows its sizes
   * and is written with definite lengths. {@link DefiniteLengths} supplies the sizes, so both paths
   * give the same bytes. Anything it cannot size (another kind of bean, an iterable) fails the
   * direct encoding, and that value is then encoded through a tree.
   */
  private void writeValue(Object value, CborWriter w) {
    if (value instanceof JsonNode node) {
      w.raw(messages.writeCbor(node));
      return;
    }
    int mark = w.size();
    if (value != null && !treeOnly.contains(value.getClass())) {
      ObjectMapper mapper = ValuesCbor.MAPPER;
      try (JsonGenerator g =
          new DefiniteLengths(mapper.getFactory().createGenerator((OutputStream) w))) {
        mapper.writeValue(g, value);
        return;
      } catch (IOException | RuntimeException e) {
        if (!(value instanceof Map<?, ?> || value instanceof Collection<?>)) {
          // a record or bean class: its shape does not change, so do not try again (a container
          // class is not remembered: the next instance may hold something that can be sized)
          treeOnly.add(value.getClass());
        }
        w.truncate(mark);
      }
    }
    w.raw(messages.writeCbor(values.toTree(value)));
  }

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
}
