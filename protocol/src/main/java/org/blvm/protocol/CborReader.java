package org.blvm.protocol;

import static java.nio.charset.StandardCharsets.ISO_8859_1;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
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
 * <p>Over 400 lines: one pass over the bytes per item kind of RFC 8949, kept in one class so the
 * decoding of every frame stays one loop without calls across objects.
 */
final class CborReader {
  private static final JsonNodeFactory NODES = JsonNodeFactory.withExactBigDecimals(true);
  private static final int BREAK = 0xFF;
  private static final BigInteger TWO_64 = BigInteger.ONE.shiftLeft(64);

  /** Longest string {@link #shared} keeps. */
  private static final int SHARED_MAX_CHARS = 24;

  private static final String[] SHARED = new String[1024];

  private final Limits limits;
  private final byte[] in;
  private int pos;
  private int items;

  private CborReader(Limits limits, byte[] in) {
    this.limits = limits;
    this.in = in;
  }

  /** Reads exactly one item and requires the input to end after it. */
  static JsonNode readSingle(Limits limits, byte[] input) throws ProtocolException {
    if (input.length == 0) {
      throw malformed("payload is empty");
    }
    CborReader r = new CborReader(limits, input);
    JsonNode node = r.item(0);
    if (r.pos != input.length) {
      throw malformed("bytes follow the message's CBOR item; a frame holds exactly one item");
    }
    return node;
  }

  /** One item whose initial byte is next; {@code depth} is that of the enclosing container. */
  private JsonNode item(int depth) throws ProtocolException {
    if (++items > limits.maxItems()) {
      throw limit("more than " + limits.maxItems() + " CBOR items in one frame");
    }
    int at = pos;
    int initial = next();
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
          int v = (int) uint(4);
          return v >= 0 ? NODES.numberNode(v) : NODES.numberNode(v & 0xFFFF_FFFFL);
        }
      case 27:
        {
          long v = uint(8);
          return v >= 0 ? NODES.numberNode(v) : NODES.numberNode(unsigned64(v));
        }
      default:
        return NODES.numberNode((int) smallArgument(info, at));
    }
  }

  private JsonNode negative(int info, int at) throws ProtocolException {
    switch (info) {
      case 26:
        {
          int v = (int) uint(4);
          return v >= 0 ? NODES.numberNode(-v - 1) : NODES.numberNode(-(v & 0xFFFF_FFFFL) - 1);
        }
      case 27:
        {
          long v = uint(8);
          return v >= 0
              ? NODES.numberNode(-v - 1)
              : NODES.numberNode(unsigned64(v).negate().subtract(BigInteger.ONE));
        }
      default:
        return NODES.numberNode((int) -smallArgument(info, at) - 1);
    }
  }

  private static BigInteger unsigned64(long v) {
    return BigInteger.valueOf(v).add(TWO_64);
  }

  /** The argument of an integer head with at most two argument bytes. */
  private long smallArgument(int info, int at) throws ProtocolException {
    if (info < 24) {
      return info;
    }
    if (info == 24) {
      return uint(1);
    }
    if (info == 25) {
      return uint(2);
    }
    throw badInfo(info, at);
  }

  /**
   * The argument of a length head (strings, arrays, maps), or -1 for indefinite length; a length
   * beyond {@code Integer.MAX_VALUE} is returned as {@code Long.MAX_VALUE} (it exceeds every
   * limit).
   */
  private long length(int info, int at) throws ProtocolException {
    if (info < 24) {
      return info;
    }
    switch (info) {
      case 24:
        return uint(1);
      case 25:
        return uint(2);
      case 26:
        return uint(4);
      case 27:
        {
          long v = uint(8);
          return v < 0 ? Long.MAX_VALUE : v;
        }
      case 31:
        return -1;
      default:
        throw badInfo(info, at);
    }
  }

  /** The next {@code n} bytes as a big-endian unsigned number (n = 8 may come out negative). */
  private long uint(int n) throws ProtocolException {
    need(n);
    long v = 0;
    for (int i = 0; i < n; i++) {
      v = (v << 8) | (in[pos++] & 0xFF);
    }
    return v;
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
            "unsupported CBOR simple value " + uint(1) + " (only false, true and null)");
      case 25:
        return NODES.numberNode(half((int) uint(2)));
      case 26:
        return NODES.numberNode((double) Float.intBitsToFloat((int) uint(4)));
      case 27:
        return NODES.numberNode(Double.longBitsToDouble(uint(8)));
      case 28:
      case 29:
      case 30:
        throw badInfo(info, at);
      case 31:
        throw malformed("unexpected break (0xff) at offset " + at + " outside an indefinite item");
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
    long n = length(info, at);
    if (n >= 0) {
      need(n); // a length beyond the frame is a truncated item, whatever the limits say
      checkByteString(n);
      byte[] b = Arrays.copyOfRange(in, pos, pos + (int) n);
      pos += (int) n;
      return b;
    }
    // indefinite: definite byte-string chunks until a break
    List<byte[]> chunks = new ArrayList<>();
    long total = 0;
    while (true) {
      int chunkAt = pos;
      int initial = next();
      if (initial == BREAK) {
        break;
      }
      if (initial >>> 5 != 2 || (initial & 0x1F) == 31) {
        throw malformed(
            "a chunk of an indefinite-length byte string must be a definite byte string; found"
                + " initial byte 0x"
                + hex(initial)
                + " at offset "
                + chunkAt);
      }
      long len = length(initial & 0x1F, chunkAt);
      total += Math.min(len, Integer.MAX_VALUE);
      checkByteString(total);
      need(len);
      chunks.add(Arrays.copyOfRange(in, pos, pos + (int) len));
      pos += (int) len;
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
    long n = length(info, at);
    if (n >= 0) {
      need(n);
      checkTextBytes(n);
      return utf8((int) n);
    }
    StringBuilder b = new StringBuilder();
    while (true) {
      int chunkAt = pos;
      int initial = next();
      if (initial == BREAK) {
        return b.toString();
      }
      if (initial >>> 5 != 3 || (initial & 0x1F) == 31) {
        throw malformed(
            "a chunk of an indefinite-length text string must be a definite text string; found"
                + " initial byte 0x"
                + hex(initial)
                + " at offset "
                + chunkAt);
      }
      long len = length(initial & 0x1F, chunkAt);
      checkTextBytes(len);
      b.append(utf8((int) len));
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

  /** The next n bytes as strictly valid UTF-8. */
  private String utf8(int n) throws ProtocolException {
    need(n);
    int start = pos;
    int end = start + n;
    pos = end;
    for (int i = start; i < end; i++) {
      if (in[i] < 0) {
        try {
          return StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(in, start, n))
              .toString();
        } catch (CharacterCodingException e) {
          throw malformed("text string at offset " + start + " is not valid UTF-8");
        }
      }
    }
    return n <= SHARED_MAX_CHARS ? shared(start, n) : new String(in, start, n, ISO_8859_1);
  }

  /**
   * An ASCII string of at most {@link #SHARED_MAX_CHARS} bytes as an instance shared between
   * frames: map keys and short values ("kind", "event", "NewBlock" …) repeat in every message, and
   * a shared instance is neither allocated again nor hashed again (a String caches its hash). One
   * slot per hash value; a miss replaces the slot. Racy on purpose: a String is immutable and
   * safely published, so a reader sees either a whole string or null, and any string it sees is
   * checked byte for byte before it is used.
   */
  private String shared(int start, int n) {
    int h = 0;
    for (int i = start; i < start + n; i++) {
      h = 31 * h + in[i]; // String.hashCode of an ASCII string
    }
    int slot = (h ^ (h >>> 16)) & (SHARED.length - 1);
    String s = SHARED[slot];
    if (s != null && s.length() == n) {
      int i = 0;
      while (i < n && s.charAt(i) == in[start + i]) {
        i++;
      }
      if (i == n) {
        return s;
      }
    }
    s = new String(in, start, n, ISO_8859_1);
    SHARED[slot] = s;
    return s;
  }

  // ------------------------------------------------------------------ containers

  private ArrayNode array(int info, int at, int depth) throws ProtocolException {
    checkDepth(depth);
    long n = length(info, at);
    if (n >= 0) {
      if (n > limits.maxContainerEntries()) {
        throw limit("array with more than " + limits.maxContainerEntries() + " entries");
      }
      need(n); // every element takes at least one byte
      ArrayNode arr = new ArrayNode(NODES, (int) n);
      for (long i = 0; i < n; i++) {
        arr.add(item(depth));
      }
      return arr;
    }
    ArrayNode arr = NODES.arrayNode();
    int entries = 0;
    while (true) {
      if (peek() == BREAK) {
        pos++;
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
    long n = length(info, at);
    if (n >= 0) {
      if (n > limits.maxContainerEntries()) {
        throw limit("map with more than " + limits.maxContainerEntries() + " entries");
      }
      need(2 * n); // every entry takes at least two bytes
      ObjectNode obj = new ObjectNode(NODES, new LinkedHashMap<>((int) (n * 4 / 3) + 1));
      for (long i = 0; i < n; i++) {
        entry(obj, depth);
      }
      return obj;
    }
    ObjectNode obj = NODES.objectNode();
    int entries = 0;
    while (true) {
      if (peek() == BREAK) {
        pos++;
        return obj;
      }
      if (++entries > limits.maxContainerEntries()) {
        throw limit("map with more than " + limits.maxContainerEntries() + " entries");
      }
      entry(obj, depth);
    }
  }

  private void entry(ObjectNode obj, int depth) throws ProtocolException {
    int at = pos;
    int initial = next();
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

  // ------------------------------------------------------------------ bytes

  private int next() throws ProtocolException {
    need(1);
    return in[pos++] & 0xFF;
  }

  private int peek() throws ProtocolException {
    need(1);
    return in[pos] & 0xFF;
  }

  private void need(long n) throws ProtocolException {
    if (n > in.length - pos) {
      throw malformed(
          "unexpected end of input at offset " + in.length + " (" + n + " more bytes needed)");
    }
  }

  private ProtocolException badInfo(int info, int at) {
    return malformed(
        (info == 31
                ? "indefinite length (additional information 31)"
                : "reserved additional" + " information " + info)
            + " is not allowed in initial byte 0x"
            + hex(in[at] & 0xFF)
            + " at offset "
            + at);
  }

  private static String hex(int b) {
    return String.format("%02x", b);
  }

  private static ProtocolException malformed(String message) {
    return new ProtocolException(
        ProtocolException.Reason.MALFORMED_CBOR, "malformed CBOR: " + message);
  }

  private static ProtocolException limit(String message) {
    return new ProtocolException(ProtocolException.Reason.LIMIT_EXCEEDED, message);
  }
}
