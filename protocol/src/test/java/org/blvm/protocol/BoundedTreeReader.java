package org.blvm.protocol;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;

/**
 * Builds a Jackson tree from a CBOR parser in one pass while enforcing {@link Limits}: nesting
 * depth, entries per container, total items, string sizes, and unique map keys. Jackson's own
 * readTree would accept duplicate keys silently and has no per-container or total-item bound.
 */
final class BoundedTreeReader {
  private static final JsonNodeFactory NODES = JsonNodeFactory.withExactBigDecimals(true);

  private static final int MAJOR_TEXT = 3;
  private static final int MAJOR_TAG = 6;

  private final Limits limits;
  private final byte[] input;
  private int items;

  /**
   * @param input the bytes the parser reads, used to see the major type of each token's initial
   *     byte: Jackson silently accepts integer and byte-string map keys and strips tags, which the
   *     protocol forbids
   */
  BoundedTreeReader(Limits limits, byte[] input) {
    this.limits = limits;
    this.input = input;
  }

  /** Reads exactly one item and requires the input to end after it. */
  JsonNode readSingle(JsonParser p) throws ProtocolException {
    try {
      JsonToken first = p.nextToken();
      if (first == null) {
        throw new ProtocolException(ProtocolException.Reason.MALFORMED_CBOR, "payload is empty");
      }
      JsonNode node = read(p, first, 0);
      if (p.nextToken() != null) {
        throw new ProtocolException(
            ProtocolException.Reason.MALFORMED_CBOR,
            "bytes follow the message's CBOR item; a frame holds exactly one item");
      }
      return node;
    } catch (StreamConstraintsException e) {
      throw new ProtocolException(
          ProtocolException.Reason.LIMIT_EXCEEDED, "CBOR input exceeds a limit: " + e.getMessage());
    } catch (IOException e) {
      throw new ProtocolException(
          ProtocolException.Reason.MALFORMED_CBOR,
          "malformed CBOR: "
              + (e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage()),
          e);
    }
  }

  private JsonNode read(JsonParser p, JsonToken t, int depth)
      throws IOException, ProtocolException {
    if (++items > limits.maxItems()) {
      throw limit("more than " + limits.maxItems() + " CBOR items in one frame");
    }
    if (t != null && majorType(p) == MAJOR_TAG) {
      throw new ProtocolException(
          ProtocolException.Reason.WRONG_TYPE, "CBOR tags (major type 6) are not allowed");
    }
    switch (t) {
      case START_OBJECT:
        return readObject(p, depth + 1);
      case START_ARRAY:
        return readArray(p, depth + 1);
      case VALUE_STRING:
        {
          String s = p.getText();
          if (s.length() > limits.maxStringBytes()) {
            throw limit(
                "text string of " + s.length() + " characters exceeds " + limits.maxStringBytes());
          }
          return NODES.textNode(s);
        }
      case VALUE_NUMBER_INT:
        switch (p.getNumberType()) {
          case INT:
            return NODES.numberNode(p.getIntValue());
          case LONG:
            return NODES.numberNode(p.getLongValue());
          default:
            return NODES.numberNode(p.getBigIntegerValue());
        }
      case VALUE_NUMBER_FLOAT:
        return NODES.numberNode(p.getDoubleValue());
      case VALUE_TRUE:
        return NODES.booleanNode(true);
      case VALUE_FALSE:
        return NODES.booleanNode(false);
      case VALUE_NULL:
        return NODES.nullNode();
      case VALUE_EMBEDDED_OBJECT:
        {
          Object o = p.getEmbeddedObject();
          if (o instanceof byte[] bytes) {
            if (bytes.length > limits.maxStringBytes()) {
              throw limit(
                  "byte string of " + bytes.length + " bytes exceeds " + limits.maxStringBytes());
            }
            return NODES.binaryNode(bytes);
          }
          throw new ProtocolException(
              ProtocolException.Reason.WRONG_TYPE,
              "unsupported CBOR value of type " + (o == null ? "undefined" : "simple/tagged"));
        }
      default:
        throw new ProtocolException(
            ProtocolException.Reason.MALFORMED_CBOR, "unexpected CBOR token " + t);
    }
  }

  private ObjectNode readObject(JsonParser p, int depth) throws IOException, ProtocolException {
    checkDepth(depth);
    ObjectNode obj = NODES.objectNode();
    int entries = 0;
    JsonToken t;
    while ((t = p.nextToken()) != JsonToken.END_OBJECT) {
      if (t != JsonToken.FIELD_NAME) {
        throw new ProtocolException(
            ProtocolException.Reason.MALFORMED_CBOR, "expected a map key, found " + t);
      }
      int major = majorType(p);
      if (major != MAJOR_TEXT) {
        throw new ProtocolException(
            ProtocolException.Reason.WRONG_TYPE,
            "map keys must be text strings (major type 3), found major type " + major);
      }
      String key = p.currentName();
      if (key.length() > limits.maxStringBytes()) {
        throw limit(
            "map key of " + key.length() + " characters exceeds " + limits.maxStringBytes());
      }
      if (++entries > limits.maxContainerEntries()) {
        throw limit("map with more than " + limits.maxContainerEntries() + " entries");
      }
      JsonNode value = read(p, p.nextToken(), depth);
      if (obj.has(key)) {
        throw new ProtocolException(
            ProtocolException.Reason.DUPLICATE_KEY, "map key \"" + key + "\" appears twice");
      }
      obj.set(key, value);
    }
    return obj;
  }

  private ArrayNode readArray(JsonParser p, int depth) throws IOException, ProtocolException {
    checkDepth(depth);
    ArrayNode arr = NODES.arrayNode();
    int entries = 0;
    JsonToken t;
    while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
      if (t == null) {
        throw new ProtocolException(ProtocolException.Reason.MALFORMED_CBOR, "array not closed");
      }
      if (++entries > limits.maxContainerEntries()) {
        throw limit("array with more than " + limits.maxContainerEntries() + " entries");
      }
      arr.add(read(p, t, depth));
    }
    return arr;
  }

  /** The major type of the initial byte of the parser's current token. */
  private int majorType(JsonParser p) throws ProtocolException {
    long offset = p.currentTokenLocation().getByteOffset();
    if (offset < 0 || offset >= input.length) {
      throw new ProtocolException(
          ProtocolException.Reason.MALFORMED_CBOR, "cannot locate CBOR token at offset " + offset);
    }
    return (input[(int) offset] & 0xFF) >>> 5;
  }

  private void checkDepth(int depth) throws ProtocolException {
    if (depth > limits.maxDepth()) {
      throw limit("nesting deeper than " + limits.maxDepth() + " levels");
    }
  }

  private static ProtocolException limit(String message) {
    return new ProtocolException(ProtocolException.Reason.LIMIT_EXCEEDED, message);
  }
}
