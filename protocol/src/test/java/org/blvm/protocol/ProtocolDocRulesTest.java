package org.blvm.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Rules of docs/protocol.md that are not byte examples: the violation sub-codes of §4.6 (each one
 * listed, each produced by the input its row describes) and how the node writes long text strings
 * (§2.2).
 */
class ProtocolDocRulesTest {
  private static final Codec CODEC = Codec.withDefaults();

  private static String section(String start, String end) throws Exception {
    String doc = Files.readString(ProtocolDocExamplesTest.docPath());
    int from = doc.indexOf(start);
    assertTrue(from >= 0, "no " + start);
    return doc.substring(from, doc.indexOf(end, from));
  }

  /** The first column of the sub-code table in §4.6, in order. */
  private static List<String> documentedSubCodes() throws Exception {
    Matcher m =
        Pattern.compile("(?m)^\\| `([A-Z_]+)` \\|")
            .matcher(section("### 4.6 Protocol violations", "## 5."));
    List<String> codes = new ArrayList<>();
    while (m.find()) {
      codes.add(m.group(1));
    }
    return codes;
  }

  @Test
  void violationTable_listsEverySubCodeOnce() throws Exception {
    List<String> reasons = new ArrayList<>();
    for (ProtocolException.Reason r : ProtocolException.Reason.values()) {
      reasons.add(r.name());
    }

    assertEquals(reasons, documentedSubCodes());
  }

  private static byte[] frameOf(Map<String, Object> message) {
    return Frames.frame(CODEC.writeCbor(CODEC.toTree(message)));
  }

  private static byte[] bytes(int... b) {
    byte[] out = new byte[b.length];
    for (int i = 0; i < b.length; i++) {
      out[i] = (byte) b[i];
    }
    return out;
  }

  /** For each sub-code, inputs that match its row's description. */
  private static Map<ProtocolException.Reason, List<byte[]>> examples() {
    Map<ProtocolException.Reason, List<byte[]>> m = new LinkedHashMap<>();
    m.put(
        ProtocolException.Reason.TRUNCATED_FRAME,
        List.of(bytes(0, 0), bytes(0, 0, 0, 5, 0xa1, 0x61)));
    m.put(ProtocolException.Reason.EMPTY_FRAME, List.of(bytes(0, 0, 0, 0)));
    m.put(ProtocolException.Reason.FRAME_TOO_LARGE, List.of(bytes(0x01, 0x00, 0x00, 0x01)));
    m.put(
        ProtocolException.Reason.MALFORMED_CBOR,
        List.of(
            Frames.frame(bytes(0xa1, 0x61)), // truncated inside the payload
            Frames.frame(bytes(0xa0, 0x00)), // a byte after the item
            Frames.frame(bytes(0xa1, 0x61, 0xff, 0x01)), // text that is not UTF-8
            Frames.frame(bytes(0xa1, 0xff)))); // a break inside a definite map
    byte[] deep = new byte[4 + 6 + 40 + 1];
    System.arraycopy(bytes(0, 0, 0, 47, 0xa1, 0x64, 'k', 'i', 'n', 'd'), 0, deep, 0, 10);
    Arrays.fill(deep, 10, 50, (byte) 0x81);
    deep[50] = 0x01;
    m.put(
        ProtocolException.Reason.LIMIT_EXCEEDED,
        List.of(
            deep, // nesting deeper than 32
            frameOf(Map.of("kind", "hello", "versions", List.of(1), "token", "t".repeat(257)))));
    m.put(
        ProtocolException.Reason.WRONG_TYPE,
        List.of(
            Frames.frame(bytes(0x80)), // the top level is an array
            frameOf(Map.of("kind", "hello", "versions", List.of(1), "token", 5)),
            frameOf(Map.of("kind", "request", "id", -1, "method", "get_chain_tip")),
            Frames.frame(bytes(0xa1, 0x01, 0x02)), // a map key that is not text
            Frames.frame(bytes(0xa1, 0x61, 'k', 0xc2, 0x41, 0x01)), // a tag
            Frames.frame(bytes(0xa1, 0x61, 'k', 0xf7)))); // undefined
    m.put(
        ProtocolException.Reason.BAD_FIELD,
        List.of(
            frameOf(Map.of("kind", "hello", "versions", List.of(1))),
            frameOf(Map.of("kind", "hello", "versions", List.of(1), "token", "t", "admin", true)),
            frameOf(Map.of("kind", "log", "level", "loud", "message", "m")),
            frameOf(Map.of("kind", "request", "id", 0, "method", "get_chain_tip")),
            frameOf(Map.of("kind", "response", "id", 1))));
    m.put(ProtocolException.Reason.UNKNOWN_KIND, List.of(frameOf(Map.of("kind", "teleport"))));
    m.put(
        ProtocolException.Reason.DUPLICATE_KEY,
        List.of(Frames.frame(bytes(0xa2, 0x61, 'k', 0x01, 0x61, 'k', 0x02))));
    return m;
  }

  @Test
  void violationTable_eachSubCode_isWhatItsRowDescribes() {
    Map<ProtocolException.Reason, List<byte[]>> examples = examples();
    assertEquals(List.of(ProtocolException.Reason.values()), List.copyOf(examples.keySet()));
    for (Map.Entry<ProtocolException.Reason, List<byte[]>> e : examples.entrySet()) {
      for (byte[] input : e.getValue()) {
        ProtocolException x =
            assertThrows(
                ProtocolException.class,
                () -> {
                  byte[] payload =
                      Frames.read(new ByteArrayInputStream(input), CODEC.limits().maxFrameBytes());
                  CODEC.decode(payload);
                },
                e.getKey() + " " + HexFormat.of().formatHex(input));
        assertEquals(e.getKey(), x.reason(), x.getMessage());
      }
    }
  }

  /** §2.2: shorter text strings are definite; from 3,997 characters they may come in chunks. */
  @Test
  void longTextStrings_definiteBelow3997Characters_chunkedFromThere_bothDecode() throws Exception {
    byte[] below = CODEC.writeCbor(CODEC.toTree(Map.of("b", "x".repeat(3_996))));
    byte[] from = CODEC.writeCbor(CODEC.toTree(Map.of("b", "x".repeat(3_997))));

    assertEquals(0x79, below[3] & 0xff, "text with a 2-byte length");
    assertEquals(0x7f, from[3] & 0xff, "indefinite-length text");
    assertEquals(0xff, from[from.length - 1] & 0xff, "ended by a break");
    assertEquals("x".repeat(3_997), CODEC.readCbor(from).get("b").textValue());
    ByteArrayOutputStream shared = new ByteArrayOutputStream();
    shared.writeBytes(
        CODEC.eventFrame(
            CODEC.encodeShared("a.b", "m", CODEC.toTree(Map.of("b", "x".repeat(3_997)))), 1));
    Message.Event e =
        (Message.Event) CODEC.decode(Arrays.copyOfRange(shared.toByteArray(), 4, shared.size()));
    assertEquals(3_997, e.payload().get("b").textValue().length());
  }
}
