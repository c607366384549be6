package org.blvm.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.cbor.CBORFactory;
import com.fasterxml.jackson.dataformat.cbor.CBORParser;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link CborReader} against the reader it replaced — Jackson's CBOR parser driven by {@link
 * BoundedTreeReader}, kept here as the oracle — on generated items written in every accepted form
 * (shortest and longer integer heads, half/single/double floats, indefinite containers and chunked
 * strings) and on random mutations of them: both must produce the same tree, node class for node
 * class, or both must refuse.
 */
class CborReaderTest {
  private static final Limits LIMITS = new Limits(1 << 16, 64, 12, 200, 6);
  private static final int GENERATED = 20_000;
  private static final int MUTATIONS = 60_000;
  private static final HexFormat HEX = HexFormat.of();

  private static final CBORFactory JACKSON =
      CBORFactory.builder()
          .streamReadConstraints(
              StreamReadConstraints.builder()
                  .maxStringLength(LIMITS.maxStringBytes())
                  .maxNestingDepth(LIMITS.maxDepth())
                  .maxNumberLength(64)
                  .maxDocumentLength(LIMITS.maxFrameBytes())
                  .build())
          .enable(CBORParser.Feature.READ_UNDEFINED_AS_EMBEDDED_OBJECT)
          .enable(CBORParser.Feature.READ_SIMPLE_VALUE_AS_EMBEDDED_OBJECT)
          .build();

  private static JsonNode oracle(byte[] input) throws ProtocolException {
    try (JsonParser p = JACKSON.createParser(input)) {
      return new BoundedTreeReader(LIMITS, input).readSingle(p);
    } catch (IOException e) {
      throw new ProtocolException(ProtocolException.Reason.MALFORMED_CBOR, e.getMessage(), e);
    }
  }

  /** The outcome of one reader: a tree or a refusal. */
  private record Outcome(JsonNode tree, ProtocolException refusal) {
    static Outcome of(Reader r, byte[] input) {
      try {
        return new Outcome(r.read(input), null);
      } catch (ProtocolException e) {
        return new Outcome(null, e);
      }
    }
  }

  private interface Reader {
    JsonNode read(byte[] input) throws ProtocolException;
  }

  /**
   * Where the old reader was lenient, against protocol.md section 2.2: Jackson decodes some invalid
   * UTF-8 (overlong forms); it drops a tag head that tags nothing (before a break, or at the end of
   * the input, so such trailing bytes went unnoticed); and it lets a break end a map or array of
   * definite length (even one declaring more entries than any limit allows).
   */
  private static final List<String> STRICTER =
      List.of(
          "is not valid UTF-8",
          "CBOR tags",
          "bytes follow the message",
          "unexpected break",
          "entries");

  /** Inputs the old reader accepted although they break protocol.md (see STRICTER). */
  private static int stricter;

  private static String compare(byte[] input) {
    Outcome mine;
    try {
      mine = Outcome.of(in -> CborReader.readSingle(LIMITS, in), input);
    } catch (RuntimeException | StackOverflowError e) {
      return "CborReader threw " + e;
    }
    Outcome old = Outcome.of(CborReaderTest::oracle, input);
    if (mine.tree() == null && old.tree() == null) {
      return null;
    }
    if (mine.tree() == null) {
      String why = mine.refusal().getMessage();
      if (STRICTER.stream().anyMatch(why::contains)) {
        stricter++;
        return null;
      }
      return "CborReader refused (" + why + "), the oracle read " + old;
    }
    if (old.tree() == null) {
      return "the oracle refused ("
          + old.refusal().getMessage()
          + "), CborReader read "
          + mine.tree();
    }
    return sameTree(mine.tree(), old.tree()) ? null : "trees differ: " + mine + " vs " + old;
  }

  /** Equal values and the same node class at every position (IntNode is not LongNode). */
  private static boolean sameTree(JsonNode a, JsonNode b) {
    if (a.getClass() != b.getClass() || a.size() != b.size()) {
      return false;
    }
    if (a.isObject()) {
      Iterator<Map.Entry<String, JsonNode>> ia = a.fields();
      Iterator<Map.Entry<String, JsonNode>> ib = b.fields();
      while (ia.hasNext()) {
        Map.Entry<String, JsonNode> x = ia.next();
        Map.Entry<String, JsonNode> y = ib.next();
        if (!x.getKey().equals(y.getKey()) || !sameTree(x.getValue(), y.getValue())) {
          return false;
        }
      }
      return true;
    }
    if (a.isArray()) {
      for (int i = 0; i < a.size(); i++) {
        if (!sameTree(a.get(i), b.get(i))) {
          return false;
        }
      }
      return true;
    }
    if (a.isDouble()) {
      return Double.compare(a.doubleValue(), b.doubleValue()) == 0;
    }
    return a.equals(b);
  }

  // ------------------------------------------------------------------ generated items

  @Test
  void generatedItems_inEveryAcceptedForm_readLikeTheOracle() {
    Random r = new Random(0xC0B0_2026L);
    int trees = 0;
    for (int i = 0; i < GENERATED; i++) {
      byte[] input = generate(r);
      String difference = compare(input);
      if (difference != null) {
        fail("input " + HEX.formatHex(input) + ": " + difference);
      }
      try {
        CborReader.readSingle(LIMITS, input);
        trees++;
      } catch (ProtocolException e) {
        // over a limit: the generator goes past them on purpose
      }
    }
    assertTrue(trees > GENERATED / 2, "only " + trees + " generated items were readable");
  }

  @Test
  void mutatedItems_readLikeTheOracleOrAreRefusedByBoth() {
    Random r = new Random(0x5EED_C0B0L);
    List<byte[]> seeds = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      seeds.add(generate(r));
    }
    int readable = 0;
    for (int i = 0; i < MUTATIONS; i++) {
      byte[] input = mutate(seeds.get(r.nextInt(seeds.size())), r);
      String difference = compare(input);
      if (difference != null) {
        fail("mutation " + i + ", input " + HEX.formatHex(input) + ": " + difference);
      }
      if (Outcome.of(in -> CborReader.readSingle(LIMITS, in), input).tree() != null) {
        readable++;
      }
    }
    assertTrue(readable > MUTATIONS / 20, "only " + readable + " mutations were readable");
  }

  @Test
  void everyTwoByteInput_readsLikeTheOracle() {
    for (int a = 0; a < 256; a++) {
      for (int b = -1; b < 256; b++) {
        byte[] input = b < 0 ? new byte[] {(byte) a} : new byte[] {(byte) a, (byte) b};
        String difference = compare(input);
        if (difference != null) {
          fail("input " + HEX.formatHex(input) + ": " + difference);
        }
      }
    }
  }

  @Test
  void integerHeads_giveTheNodeClassOfTheirArgumentSize() throws Exception {
    // what Jackson's parser reports, and so what trees held before: the class follows the head
    assertEquals("IntNode", read("19 0005").getClass().getSimpleName());
    assertEquals("IntNode", read("1a 7fffffff").getClass().getSimpleName());
    assertEquals("LongNode", read("1a 80000000").getClass().getSimpleName());
    assertEquals("LongNode", read("1b 0000000000000005").getClass().getSimpleName());
    assertEquals("BigIntegerNode", read("1b ffffffffffffffff").getClass().getSimpleName());
    assertEquals("18446744073709551615", read("1b ffffffffffffffff").asText());
    assertEquals("-18446744073709551616", read("3b ffffffffffffffff").asText());
    assertEquals(-4294967296L, read("3a ffffffff").longValue());
    assertEquals(-2147483648, read("3a 7fffffff").intValue());
  }

  @Test
  void halfFloats_decodeExactly() throws Exception {
    assertEquals(1.0, read("f9 3c00").doubleValue());
    assertEquals(-2.0, read("f9 c000").doubleValue());
    assertEquals(65504.0, read("f9 7bff").doubleValue());
    assertEquals(5.960464477539063e-8, read("f9 0001").doubleValue());
    assertEquals(Double.POSITIVE_INFINITY, read("f9 7c00").doubleValue());
    assertTrue(Double.isNaN(read("f9 7e00").doubleValue()));
    assertEquals(0.1f, read("fa 3dcccccd").doubleValue());
  }

  @Test
  void invalidUtf8_isRefusedEverywhere() {
    for (String bad :
        List.of(
            "62 c328", // truncated two-byte sequence
            "62 c0 80", // overlong NUL
            "63 eda080", // an encoded UTF-16 surrogate
            "61 ff", // never valid
            "7f 61 c3 61 a9 ff")) { // a sequence split across chunks
      ProtocolException e = assertThrows(ProtocolException.class, () -> read(bad), bad);
      assertEquals(ProtocolException.Reason.MALFORMED_CBOR, e.reason(), bad);
      assertTrue(e.getMessage().contains("UTF-8"), e.getMessage());
    }
  }

  @Test
  void whatTheOldReaderLetThrough_isRefused() {
    for (String bad :
        List.of(
            "a2 61 61 01 ff", // a break ends a map that declared two entries
            "82 01 ff", // the same for an array
            "9f c1 ff", // a tag that tags nothing but the break
            "01 c0", // a tag head after the item
            "62 c1 a9")) { // an overlong two-byte form of "i"
      assertThrows(ProtocolException.class, () -> read(bad), bad);
      String difference = compare(HEX.parseHex(bad.replace(" ", "")));
      assertEquals(null, difference, bad);
    }
  }

  @Test
  void textOfManyBytes_isRefusedBeforeDecoding() {
    // 64-character limit: 193 bytes can never fit, however they decode
    byte[] input = new byte[2 + 193];
    input[0] = 0x78;
    input[1] = (byte) 193;
    ProtocolException e =
        assertThrows(ProtocolException.class, () -> CborReader.readSingle(LIMITS, input));
    assertEquals(ProtocolException.Reason.LIMIT_EXCEEDED, e.reason());
  }

  private static JsonNode read(String hex) throws ProtocolException {
    return CborReader.readSingle(LIMITS, HEX.parseHex(hex.replace(" ", "")));
  }

  // ------------------------------------------------------------------ generator

  /** A random item, written in a random accepted form, sometimes beyond LIMITS. */
  private static byte[] generate(Random r) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    item(out, r, 0);
    return out.toByteArray();
  }

  private static void item(ByteArrayOutputStream out, Random r, int depth) {
    int kind = depth >= 7 ? r.nextInt(7) : r.nextInt(9);
    switch (kind) {
      case 0:
        head(out, r, 0, randomUnsigned(r));
        break;
      case 1:
        head(out, r, 1, randomUnsigned(r));
        break;
      case 2:
        {
          byte[] b = new byte[r.nextInt(4) == 0 ? r.nextInt(80) : r.nextInt(8)];
          r.nextBytes(b);
          string(out, r, 2, b);
          break;
        }
      case 3:
        string(out, r, 3, randomText(r).getBytes(StandardCharsets.UTF_8));
        break;
      case 4:
        out.write(0xF4 + r.nextInt(3)); // false, true, null
        break;
      case 5:
        floating(out, r);
        break;
      case 6:
        head(out, r, r.nextBoolean() ? 0 : 1, r.nextInt(30));
        break;
      case 7:
        {
          int n = r.nextInt(r.nextInt(8) == 0 ? 16 : 5);
          boolean indefinite = r.nextInt(4) == 0;
          if (indefinite) {
            out.write(0x9F);
          } else {
            head(out, r, 4, n);
          }
          for (int i = 0; i < n; i++) {
            item(out, r, depth + 1);
          }
          if (indefinite) {
            out.write(0xFF);
          }
          break;
        }
      default:
        {
          int n = r.nextInt(r.nextInt(8) == 0 ? 16 : 5);
          boolean indefinite = r.nextInt(4) == 0;
          if (indefinite) {
            out.write(0xBF);
          } else {
            head(out, r, 5, n);
          }
          for (int i = 0; i < n; i++) {
            // mostly distinct short keys; sometimes a repeat
            String key = r.nextInt(30) == 0 ? "k" : "k" + i + (r.nextBoolean() ? "é" : "");
            string(out, r, 3, key.getBytes(StandardCharsets.UTF_8));
            item(out, r, depth + 1);
          }
          if (indefinite) {
            out.write(0xFF);
          }
        }
    }
  }

  private static long randomUnsigned(Random r) {
    switch (r.nextInt(6)) {
      case 0:
        return r.nextInt(24);
      case 1:
        return r.nextInt(256);
      case 2:
        return r.nextInt(65536);
      case 3:
        return r.nextInt() & 0xFFFF_FFFFL;
      case 4:
        return r.nextLong(); // also beyond 2^63 (unsigned)
      default:
        return Long.MAX_VALUE - r.nextInt(3);
    }
  }

  private static String randomText(Random r) {
    String[] pieces = {"a", "tx", "é", "€", "😀", "Z", " ", "\u0000", "ß"};
    StringBuilder b = new StringBuilder();
    int n = r.nextInt(4) == 0 ? r.nextInt(80) : r.nextInt(6);
    for (int i = 0; i < n; i++) {
      b.append(pieces[r.nextInt(pieces.length)]);
    }
    return b.toString();
  }

  /** A head for an unsigned argument, in the shortest form or a random longer one. */
  private static void head(ByteArrayOutputStream out, Random r, int major, long value) {
    int smallest;
    if (value >= 0 && value < 24) {
      smallest = 0;
    } else if (value >= 0 && value < 0x100) {
      smallest = 1;
    } else if (value >= 0 && value < 0x10000) {
      smallest = 2;
    } else if (value >= 0 && value < 0x1_0000_0000L) {
      smallest = 3;
    } else {
      smallest = 4;
    }
    int form = r.nextInt(4) == 0 ? smallest + r.nextInt(5 - smallest) : smallest;
    int mt = major << 5;
    switch (form) {
      case 0:
        out.write(mt | (int) value);
        break;
      case 1:
        out.write(mt | 24);
        out.write((int) value);
        break;
      case 2:
        out.write(mt | 25);
        be(out, value, 2);
        break;
      case 3:
        out.write(mt | 26);
        be(out, value, 4);
        break;
      default:
        out.write(mt | 27);
        be(out, value, 8);
    }
  }

  private static void be(ByteArrayOutputStream out, long value, int n) {
    for (int shift = 8 * (n - 1); shift >= 0; shift -= 8) {
      out.write((int) (value >>> shift));
    }
  }

  private static void string(ByteArrayOutputStream out, Random r, int major, byte[] b) {
    if (r.nextInt(5) != 0) {
      head(out, r, major, b.length);
      out.write(b, 0, b.length);
      return;
    }
    // indefinite length, cut into chunks at character boundaries
    out.write((major << 5) | 31);
    int i = 0;
    while (i < b.length) {
      int end = Math.min(b.length, i + 1 + r.nextInt(6));
      while (major == 3 && end < b.length && (b[end] & 0xC0) == 0x80) {
        end++;
      }
      head(out, r, major, end - i);
      out.write(b, i, end - i);
      i = end;
    }
    if (r.nextBoolean()) {
      head(out, r, major, 0); // an empty chunk is allowed
    }
    out.write(0xFF);
  }

  private static void floating(ByteArrayOutputStream out, Random r) {
    switch (r.nextInt(3)) {
      case 0:
        out.write(0xF9);
        be(out, r.nextInt(65536), 2);
        break;
      case 1:
        out.write(0xFA);
        be(out, r.nextInt() & 0xFFFF_FFFFL, 4);
        break;
      default:
        out.write(0xFB);
        be(out, r.nextBoolean() ? r.nextLong() : Double.doubleToLongBits(r.nextDouble()), 8);
    }
  }

  private static byte[] mutate(byte[] seed, Random r) {
    byte[] b = seed.clone();
    int edits = 1 + r.nextInt(3);
    for (int e = 0; e < edits && b.length > 0; e++) {
      int i = r.nextInt(b.length);
      switch (r.nextInt(5)) {
        case 0:
          b[i] ^= (byte) (1 << r.nextInt(8));
          break;
        case 1:
          b[i] = (byte) r.nextInt(256);
          break;
        case 2:
          b = java.util.Arrays.copyOf(b, i + 1);
          break;
        case 3:
          {
            byte[] c = new byte[b.length + 1];
            System.arraycopy(b, 0, c, 0, i);
            c[i] = (byte) r.nextInt(256);
            System.arraycopy(b, i, c, i + 1, b.length - i);
            b = c;
            break;
          }
        default:
          {
            byte[] c = new byte[b.length - 1];
            System.arraycopy(b, 0, c, 0, i);
            System.arraycopy(b, i + 1, c, i, b.length - i - 1);
            b = c;
          }
      }
    }
    return b;
  }
}
