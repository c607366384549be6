package org.blvm.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Keeps docs/protocol.md true: each marked hex example is exactly what our encoder produces and
 * decodes to the intended message, and every catalog name is documented.
 */
class ProtocolDocExamplesTest {
  private static final Pattern EXAMPLE =
      Pattern.compile("<!-- example: ([a-z0-9_]+) -->\\s*```hex\\n(.*?)```", Pattern.DOTALL);

  private static String doc;
  private static Map<String, byte[]> documented;

  /** docs/protocol.md, resolved from the protocol module's basedir (surefire's working dir). */
  static Path docPath() {
    return Paths.get("").toAbsolutePath().getParent().resolve("docs/protocol.md");
  }

  @BeforeAll
  static void readDoc() throws Exception {
    Path path = docPath();
    assertTrue(Files.isRegularFile(path), "no spec at " + path);
    doc = Files.readString(path);
    documented = examples(doc);
  }

  /** The marked hex blocks: '#' starts a comment; the rest of each line is hex byte pairs. */
  static Map<String, byte[]> examples(String markdown) {
    Map<String, byte[]> out = new LinkedHashMap<>();
    Matcher m = EXAMPLE.matcher(markdown);
    while (m.find()) {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      for (String line : m.group(2).split("\n")) {
        int hash = line.indexOf('#');
        String hex = (hash >= 0 ? line.substring(0, hash) : line).replaceAll("\\s+", "");
        bytes.writeBytes(HexFormat.of().parseHex(hex));
      }
      byte[] previous = out.put(m.group(1), bytes.toByteArray());
      assertEquals(null, previous, "example " + m.group(1) + " appears twice");
    }
    return out;
  }

  @Test
  void examples_parser_readsCommentedHex() {
    Map<String, byte[]> parsed =
        examples("<!-- example: x -->\n```hex\n00 01 # one # two\n  ff\n```\n");
    assertArrayEquals(new byte[] {0, 1, (byte) 0xFF}, parsed.get("x"));
  }

  @Test
  void doc_hasExactlyTheKnownExamples() {
    assertEquals(List.copyOf(DocExamples.frames().keySet()), List.copyOf(documented.keySet()));
    assertTrue(
        documented
            .keySet()
            .containsAll(
                List.of(
                    "hello",
                    "request_get_chain_tip",
                    "response_get_chain_tip",
                    "event_new_block")));
  }

  @Test
  void doc_eachExample_equalsEncoderOutput() {
    for (Map.Entry<String, byte[]> e : DocExamples.frames().entrySet()) {
      byte[] inDoc = documented.get(e.getKey());
      assertArrayEquals(
          e.getValue(),
          inDoc,
          "docs/protocol.md example "
              + e.getKey()
              + " differs from the encoder; it should be\n"
              + HexFormat.ofDelimiter(" ").formatHex(e.getValue()));
    }
  }

  @Test
  void doc_eachExample_decodesToItsMessage() throws Exception {
    Codec codec = Codec.withDefaults();
    Map<String, Message> messages = DocExamples.messages();
    for (Map.Entry<String, byte[]> e : documented.entrySet()) {
      byte[] payload =
          Frames.read(new ByteArrayInputStream(e.getValue()), codec.limits().maxFrameBytes());
      assertEquals(e.getValue().length - Frames.HEADER_BYTES, payload.length, e.getKey());
      Message decoded = codec.decode(payload);
      Message expected = messages.get(e.getKey());
      // compare through the encoder: trees differ only in int vs long node types
      assertEquals(
          codec.readCbor(codec.encode(expected)),
          codec.readCbor(codec.encode(decoded)),
          e.getKey());
      assertEquals(expected.kind(), decoded.kind());
    }
  }

  @Test
  void doc_newBlockExample_payloadIsTheTypedEvent() throws Exception {
    Codec codec = Codec.withDefaults();
    byte[] frame = documented.get("event_new_block");
    Message.Event event =
        (Message.Event) codec.decode(Arrays.copyOfRange(frame, Frames.HEADER_BYTES, frame.length));
    assertEquals(1, event.seq());
    assertEquals(
        DocExamples.newBlock(), codec.toValue(event.payload(), EventPayloads.NewBlock.class));
  }

  private static List<String> missing(List<String> names) {
    List<String> absent = new ArrayList<>();
    for (String n : names) {
      if (!doc.contains("`" + n + "`")) {
        absent.add(n);
      }
    }
    return absent;
  }

  @Test
  void doc_mentionsEveryNodeMethod() {
    List<String> names = new ArrayList<>();
    for (NodeMethod m : NodeMethod.values()) {
      names.add(m.wireName());
    }
    names.add(NodeMethod.READY);
    assertEquals(List.of(), missing(names));
  }

  @Test
  void doc_mentionsEveryEventType() {
    List<String> names = new ArrayList<>();
    for (EventType t : EventType.values()) {
      names.add(t.wireName());
    }
    assertEquals(List.of(), missing(names));
  }

  @Test
  void doc_mentionsEveryErrorCode() {
    List<String> names = new ArrayList<>();
    for (ErrorCode c : ErrorCode.values()) {
      names.add(c.name());
    }
    assertEquals(List.of(), missing(names));
  }

  @Test
  void doc_mentionsEveryCapability() {
    List<String> names = new ArrayList<>();
    for (Capability c : Capability.values()) {
      names.add(c.wireName());
    }
    assertEquals(List.of(), missing(names));
  }

  @Test
  void doc_documentsEveryPayloadAndParamsKey() {
    for (Class<?> type : CodecValuesTest.catalogTypes()) {
      assertTrue(doc.contains("#### " + type.getSimpleName()), "no section for " + type);
      for (var rc : type.getRecordComponents()) {
        String key = CodecValuesTest.snake(rc.getName());
        assertTrue(doc.contains("| `" + key + "` |"), type.getSimpleName() + "." + key);
      }
    }
  }
}
