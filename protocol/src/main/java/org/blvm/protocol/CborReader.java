package org.blvm.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;

/**
 * Reads one CBOR data item (RFC 8949) from a frame payload into a Jackson tree, in one pass over
 * the bytes, enforcing the accepted subset of protocol.md §2.2 and the {@link Limits} of §2.3: no
 * tags, no undefined or other simple values, text map keys only, no key twice in one map, valid
 * UTF-8, and bounds on strings, entries per container, total items and nesting depth.
 *
 * <p>The trees are those Jackson's CBOR parser and tree builder would give, node type for node
 * type: an integer becomes an {@code IntNode}, {@code LongNode} or {@code BigIntegerNode} by the
 * size of its CBOR argument exactly as Jackson's parser reports it, and every float (half, single,
 * double) a {@code DoubleNode}. {@code CborReaderTest} compares both readers on generated and
 * mutated input.
 *
 * <p>The bytes themselves (heads, arguments, lengths, byte runs, UTF-8) are read through {@link
 * CborInput}; this class decides what each item is and enforces the subset and the limits.
 */
final class CborReader {
  private static final JsonNodeFactory NODES = JsonNodeFactory.withExactBigDecimals(true);
  private static final int BREAK = 0xFF;
  private static final BigInteger TWO_64 = BigInteger.ONE.shiftLeft(64);

  private final Limits limits;
  private final CborInput in;
  private int items;

  private CborReader(Limits limits, CborInput in) {
    this.limits = limits;
    this.in = in;
  }

  /** Reads exactly one item and requires the input to end after it. */
  static JsonNode readSingle(Limits limits, byte[] input) throws ProtocolException {
    if (input.length == 0) {
      throw CborInput.malformed("payload is empty");
    }
    CborReader r = new CborReader(limits, new CborInput(input));
    JsonNode node = r.item(0);
    if (!r.in.atEnd()) {
      throw CborInput.malformed(
          "bytes follow the message's CBOR item; a frame holds exactly one item");
    }
    return node;
  }

  /**
   * Reads the one item of {@code input[from, to)} as {@link #readSingle} reads a whole payload,
   * {@code depth} levels below the top ({@code items} already counted in its frame).
   */
  static JsonNode readRange(Limits limits, byte[] input, int from, int to, int depth, int items)
      throws ProtocolException {
    CborReader r = new CborReader(limits, new CborInput(input, from, to));
    r.items = items;
    JsonNode node = r.item(depth);
    if (!r.in.atEnd()) {
      throw CborInput.malformed("bytes follow the item at offset " + from);
    }
    return node;
  }

  /** One item whose initial byte is next; {@code depth} is that of the enclosing container. */
  private JsonNode item(int depth) throws ProtocolException {
    if (++items > limits.maxItems()) {
      throw limit("more than " + limits.maxItems() + " CBOR items in one frame");
    }
    int at = in.position();
    int initial = in.next();
    return value(initial, at, depth);
  }

  private JsonNode value(int initial, int at, int depth) throws ProtocolException {
    int major = initial >>> 5;
    int info = initial & 0x1F;
    switch (major) {
      case 0:
        return unsigned(info, at);
      case 1:
        return negative(info, at);
      case 2:
        return NODES.binaryNode(bytes(info, at));
      case 3:
        {
          String s = text(info, at);
          if (s.length() > limits.maxStringBytes()) {
            throw limit(
                "text string of " + s.length() + " characters exceeds " + limits.maxStringBytes());
          }
          return NODES.textNode(s);
        }
      case 4:
        return array(info, at, depth + 1);
      case 5:
        return map(info, at, depth + 1);
      case 6:
        throw new ProtocolException(
            ProtocolException.Reason.WRONG_TYPE, "CBOR tags (major type 6) are not allowed");
      default:
        return simpleOrFloat(info, at);
    }
  }

  // ------------------------------------------------------------------ numbers

  private JsonNode unsigned(int info, int at) throws ProtocolException {
    switch (info) {
      case 26:
        {
          int v = (int) in.uint(4);
          return v >= 0 ? NODES.numberNode(v) : NODES.numberNode(v & 0xFFFF_FFFFL);
        }
      case 27:
        {
          long v = in.uint(8);
          return v >= 0 ? NODES.numberNode(v) : NODES.numberNode(unsigned64(v));
        }
      default:
        return NODES.numberNode((int) in.smallArgument(info, at));
    }
  }

  private JsonNode negative(int info, int at) throws ProtocolException {
    switch (info) {
      case 26:
        {
          int v = (int) in.uint(4);
          return v >= 0 ? NODES.numberNode(-v - 1) : NODES.numberNode(-(v & 0xFFFF_FFFFL) - 1);
        }
      case 27:
        {
          long v = in.uint(8);
          return v >= 0
              ? NODES.numberNode(-v - 1)
              : NODES.numberNode(unsigned64(v).negate().subtract(BigInteger.ONE));
        }
      default:
        return NODES.numberNode((int) -in.smallArgument(info, at) - 1);
    }
  }

  private static BigInteger unsigned64(long v) {
    return BigInteger.valueOf(v).add(TWO_64);
  }

  private JsonNode simpleOrFloat(int info, int at) throws ProtocolException {
    switch (info) {
      case 20:
        return NODES.booleanNode(false);
      case 21:
        return NODES.booleanNode(true);
      case 22:
        return NODES.nullNode();
      case 23:
        throw new ProtocolException(
            ProtocolException.Reason.WRONG_TYPE, "unsupported CBOR value of type undefined");
      case 24:
        throw new ProtocolException(
            ProtocolException.Reason.WRONG_TYPE,
            "unsupported CBOR simple value " + in.uint(1) + " (only false, true and null)");
      case 25:
        return NODES.numberNode(half((int) in.uint(2)));
      case 26:
        return NODES.numberNode((double) Float.intBitsToFloat((int) in.uint(4)));
      case 27:
        return NODES.numberNode(Double.longBitsToDouble(in.uint(8)));
      case 28:
      case 29:
      case 30:
        throw in.badInfo(info, at);
      case 31:
        throw CborInput.malformed(
            "unexpected break (0xff) at offset " + at + " outside an indefinite item");
      default:
        throw new ProtocolException(
            ProtocolException.Reason.WRONG_TYPE,
            "unsupported CBOR simple value " + info + " (only false, true and null)");
    }
  }

  /** A half-precision float (RFC 8949 Appendix D), exactly. */
  static double half(int bits) {
    int exp = (bits >>> 10) & 0x1F;
    int mant = bits & 0x3FF;
    double v;
    if (exp == 0) {
      v = Math.scalb((double) mant, -24);
    } else if (exp != 31) {
      v = Math.scalb((double) (mant + 1024), exp - 25);
    } else {
      v = mant == 0 ? Double.POSITIVE_INFINITY : Double.NaN;
    }
    return (bits & 0x8000) != 0 ? -v : v;
  }

  // ------------------------------------------------------------------ strings

  private byte[] bytes(int info, int at) throws ProtocolException {
    long n = in.length(info, at);
    if (n >= 0) {
      in.need(n); // a length beyond the frame is a truncated item, whatever the limits say
      checkByteString(n);
      return in.take((int) n);
    }
    // indefinite: definite byte-string chunks until a break
    List<byte[]> chunks = new ArrayList<>();
    long total = 0;
    while (true) {
      int chunkAt = in.position();
      int initial = in.next();
      if (initial == BREAK) {
        break;
      }
      if (initial >>> 5 != 2 || (initial & 0x1F) == 31) {
        throw CborInput.malformed(
            "a chunk of an indefinite-length byte string must be a definite byte string; found"
                + " initial byte 0x"
                + CborInput.hex(initial)
                + " at offset "
                + chunkAt);
      }
      long len = in.length(initial & 0x1F, chunkAt);
      total += Math.min(len, Integer.MAX_VALUE);
      checkByteString(total);
      chunks.add(in.take((int) len));
    }
    byte[] all = new byte[(int) total];
    int off = 0;
    for (byte[] c : chunks) {
      System.arraycopy(c, 0, all, off, c.length);
      off += c.length;
    }
    return all;
  }

  private void checkByteString(long n) throws ProtocolException {
    if (n > limits.maxStringBytes()) {
      throw limit(
          "byte string of "
              + (n == Long.MAX_VALUE ? "more than 2^31" : String.valueOf(n))
              + " bytes exceeds "
              + limits.maxStringBytes());
    }
  }

  /** A text string (the initial byte is read); its length is checked by the caller. */
  private String text(int info, int at) throws ProtocolException {
    long n = in.length(info, at);
    if (n >= 0) {
      in.need(n);
      checkTextBytes(n);
      return in.utf8((int) n);
    }
    StringBuilder b = new StringBuilder();
    while (true) {
      int chunkAt = in.position();
      int initial = in.next();
      if (initial == BREAK) {
        return b.toString();
      }
      if (initial >>> 5 != 3 || (initial & 0x1F) == 31) {
        throw CborInput.malformed(
            "a chunk of an indefinite-length text string must be a definite text string; found"
                + " initial byte 0x"
                + CborInput.hex(initial)
                + " at offset "
                + chunkAt);
      }
      long len = in.length(initial & 0x1F, chunkAt);
      checkTextBytes(len);
      b.append(in.utf8((int) len));
      if (b.length() > limits.maxStringBytes()) {
        throw limit(
            "text string of more than "
                + limits.maxStringBytes()
                + " characters (indefinite length)");
      }
    }
  }

  /**
   * A text of {@code n} UTF-8 bytes has at least n/3 UTF-16 code units, so more than three times
   * the limit can never fit: refused before anything is decoded.
   */
  private void checkTextBytes(long n) throws ProtocolException {
    if (n > 3L * limits.maxStringBytes()) {
      throw limit(
          "text string of "
              + (n == Long.MAX_VALUE ? "more than 2^31" : String.valueOf(n))
              + " bytes exceeds "
              + limits.maxStringBytes()
              + " characters");
    }
  }

  // ------------------------------------------------------------------ containers

  private ArrayNode array(int info, int at, int depth) throws ProtocolException {
    checkDepth(depth);
    long n = in.length(info, at);
    if (n >= 0) {
      if (n > limits.maxContainerEntries()) {
        throw limit("array with more than " + limits.maxContainerEntries() + " entries");
      }
      in.need(n); // every element takes at least one byte
      ArrayNode arr = new ArrayNode(NODES, (int) n);
      for (long i = 0; i < n; i++) {
        arr.add(item(depth));
      }
      return arr;
    }
    ArrayNode arr = NODES.arrayNode();
    int entries = 0;
    while (true) {
      if (in.peek() == BREAK) {
        in.next();
        return arr;
      }
      if (++entries > limits.maxContainerEntries()) {
        throw limit("array with more than " + limits.maxContainerEntries() + " entries");
      }
      arr.add(item(depth));
    }
  }

  private ObjectNode map(int info, int at, int depth) throws ProtocolException {
    checkDepth(depth);
    long n = in.length(info, at);
    if (n >= 0) {
      if (n > limits.maxContainerEntries()) {
        throw limit("map with more than " + limits.maxContainerEntries() + " entries");
      }
      in.need(2 * n); // every entry takes at least two bytes
      ObjectNode obj = new ObjectNode(NODES, new LinkedHashMap<>((int) (n * 4 / 3) + 1));
      for (long i = 0; i < n; i++) {
        entry(obj, depth);
      }
      return obj;
    }
    ObjectNode obj = NODES.objectNode();
    int entries = 0;
    while (true) {
      if (in.peek() == BREAK) {
        in.next();
        return obj;
      }
      if (++entries > limits.maxContainerEntries()) {
        throw limit("map with more than " + limits.maxContainerEntries() + " entries");
      }
      entry(obj, depth);
    }
  }

  private void entry(ObjectNode obj, int depth) throws ProtocolException {
    int at = in.position();
    int initial = in.next();
    int major = initial >>> 5;
    if (major != 3) {
      throw new ProtocolException(
          ProtocolException.Reason.WRONG_TYPE,
          "map keys must be text strings (major type 3), found major type " + major);
    }
    String key = text(initial & 0x1F, at);
    if (key.length() > limits.maxStringBytes()) {
      throw limit("map key of " + key.length() + " characters exceeds " + limits.maxStringBytes());
    }
    JsonNode value = item(depth);
    if (obj.replace(key, value) != null) {
      throw new ProtocolException(
          ProtocolException.Reason.DUPLICATE_KEY, "map key \"" + key + "\" appears twice");
    }
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
