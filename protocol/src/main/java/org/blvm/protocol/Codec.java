package org.blvm.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Objects;

/**
 * The protocol's codec as one object: a facade over its four parts, each usable on its own — {@link
 * MessageCodec} (messages to and from CBOR payloads, strictly within the {@link Limits}), {@link
 * ValueCodec} (trees to and from the typed records of {@link Api} and {@link EventPayloads}),
 * {@link DirectEncoder} (events encoded once for many connections, response frames and typed values
 * encoded without a tree) and {@link EventDecoder} (event frames read straight into their record).
 * Every method here only delegates. Immutable and thread-safe.
 */
public final class Codec {
  /** The protocol version this build speaks. */
  public static final int PROTOCOL_VERSION = 1;

  private final Limits limits;
  private final MessageCodec messages;
  private final ValueCodec values;
  private final DirectEncoder direct;
  private final EventDecoder events;

  public Codec(Limits limits) {
    this.limits = Objects.requireNonNull(limits);
    this.messages = new MessageCodec(limits);
    this.values = new ValueCodec();
    this.direct = new DirectEncoder(limits, messages, values);
    this.events = new EventDecoder(limits, values);
  }

  public static Codec withDefaults() {
    return new Codec(Limits.DEFAULT);
  }

  public Limits limits() {
    return limits;
  }

  /** Messages to and from CBOR payloads. */
  public MessageCodec messages() {
    return messages;
  }

  /** Trees to and from typed records. */
  public ValueCodec values() {
    return values;
  }

  /** Event frames read straight into their typed payload (the fast path of decode + toValue). */
  public EventDecoder events() {
    return events;
  }

  /** Encoding of events, response frames and typed values without a tree. */
  public DirectEncoder direct() {
    return direct;
  }

  // ------------------------------------------------------------------ messages

  /** {@link MessageCodec#encode}. */
  public byte[] encode(Message m) {
    return messages.encode(m);
  }

  /** {@link MessageCodec#encodeFrame}. */
  public byte[] encodeFrame(Message m) {
    return messages.encodeFrame(m);
  }

  /** {@link MessageCodec#writeCbor}. */
  public byte[] writeCbor(JsonNode node) {
    return messages.writeCbor(node);
  }

  /** {@link MessageCodec#readCbor}. */
  public JsonNode readCbor(byte[] payload) throws ProtocolException {
    return messages.readCbor(payload);
  }

  /** {@link MessageCodec#decode}. */
  public Message decode(byte[] payload) throws ProtocolException {
    return messages.decode(payload);
  }

  // ------------------------------------------------------------------ values

  /** {@link ValueCodec#toValue(JsonNode, Class)}. */
  public <T> T toValue(JsonNode node, Class<T> type) throws ProtocolException {
    return values.toValue(node, type);
  }

  /** {@link ValueCodec#toTree}. */
  public JsonNode toTree(Object value) {
    return values.toTree(value);
  }

  // ------------------------------------------------------------------ direct encoding

  /** {@link DirectEncoder#encodeShared} of a tree payload. */
  public SharedEvent encodeShared(String type, String source, JsonNode payload) {
    return direct.encodeShared(type, source, payload);
  }

  /** {@link DirectEncoder#encodeShared} of a typed payload (a record, list or map). */
  public SharedEvent encodeShared(String type, String source, Object payload) {
    return direct.encodeShared(type, source, payload);
  }

  /** {@link DirectEncoder#encodeShared} into a pooled event (the caller's to release). */
  public SharedEvent encodeShared(
      String type, String source, Object payload, SharedEventPool pool) {
    return direct.encodeShared(type, source, payload, pool);
  }

  /** {@link DirectEncoder#eventFrame}. */
  public byte[] eventFrame(SharedEvent event, long seq) {
    return direct.eventFrame(event, seq);
  }

  /** {@link DirectEncoder#encodeResponseFrame}. */
  public byte[] encodeResponseFrame(long id, Object result) {
    return direct.encodeResponseFrame(id, result);
  }

  /** {@link DirectEncoder#encodeValue}. */
  public byte[] encodeValue(Object value) {
    return direct.encodeValue(value);
  }
}
