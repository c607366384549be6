package org.blvm.admin;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Arrays;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class RequestDecoderTest {
  private static AdminException bad(String line) {
    return assertThrows(AdminException.class, () -> RequestDecoder.decode(line.getBytes(UTF_8)));
  }

  @Test
  void decode_wellFormed_givesIdCommandAndArgs() throws Exception {
    AdminRequest r =
        RequestDecoder.decode(
            "{\"id\":7,\"command\":\"modules.status\",\"args\":{\"module\":\"a\"}}"
                .getBytes(UTF_8));
    assertEquals(7, r.id());
    assertEquals("modules.status", r.command());
    assertEquals("a", r.args().get("module").textValue());
  }

  @Test
  void decode_withoutArgs_emptyArgs() throws Exception {
    AdminRequest r =
        RequestDecoder.decode("{\"command\":\"modules.list\",\"id\":0}".getBytes(UTF_8));
    assertEquals(0, r.args().size());
  }

  @Test
  void decode_encodedRequest_roundTrips() throws Exception {
    ObjectNode args = JsonNodeFactory.instance.objectNode().put("module", "x").put("follow", true);
    AdminRequest r = new AdminRequest(AdminProtocol.MAX_ID, "logs", args);
    byte[] line = r.encode();
    assertEquals('\n', line[line.length - 1]);
    assertEquals(r, RequestDecoder.decode(Arrays.copyOf(line, line.length - 1)));
  }

  @Test
  void decode_malformed_badRequestNamingTheProblem() {
    assertEquals(AdminErrorCode.BAD_REQUEST, bad("not json").code());
    assertTrue(bad("not json").reason().startsWith("not valid JSON"), bad("x").reason());
    assertTrue(bad("").reason().contains("empty line"));
    assertTrue(bad("[1]").reason().contains("found an array"));
    assertTrue(bad("{\"id\":1}").reason().contains("missing key \"command\""));
    assertTrue(bad("{\"command\":\"a\"}").reason().contains("missing key \"id\""));
    assertTrue(bad("{\"id\":-1,\"command\":\"a\"}").reason().contains("\"id\" must be"));
    assertTrue(bad("{\"id\":1.5,\"command\":\"a\"}").reason().contains("\"id\" must be"));
    assertTrue(bad("{\"id\":9007199254740992,\"command\":\"a\"}").reason().contains("\"id\""));
    assertTrue(bad("{\"id\":1,\"command\":\"Modules\"}").reason().contains("\"Modules\""));
    assertTrue(bad("{\"id\":1,\"command\":3}").reason().contains("a number 3"));
    assertTrue(bad("{\"id\":1,\"command\":\"a\",\"args\":[]}").reason().contains("an array"));
    assertTrue(bad("{\"id\":1,\"command\":\"a\"} {}").reason().startsWith("not valid JSON"));
  }

  @Test
  void decode_overAReaderLimit_itsMessageClippedTo64Characters() {
    String prefix = "over a limit of the JSON reader: ";
    for (String line :
        new String[] {
          "{\"id\":1,\"command\":\"a\",\"args\":" + "[".repeat(20) + "]".repeat(20) + "}",
          "{\"id\":1,\"command\":\"a\",\"args\":{\"n\":" + "9".repeat(80) + "}}"
        }) {
      String reason = bad(line).reason();
      assertTrue(reason.startsWith(prefix), reason);
      assertTrue(reason.length() <= prefix.length() + Text.MAX_QUOTED + 1, reason);
    }
  }

  @Test
  void decode_duplicateOrUnknownKey_refusedWithTheIdWhenKnown() {
    AdminException dup = bad("{\"id\":1,\"command\":\"a\",\"command\":\"b\"}");
    assertTrue(dup.reason().contains("Duplicate field"), dup.reason());
    AdminException unknown = bad("{\"id\":5,\"command\":\"a\",\"verb\":1}");
    assertTrue(unknown.reason().contains("unknown key \"verb\""), unknown.reason());
    assertEquals(OptionalLong.of(5), unknown.requestId());
    assertEquals(OptionalLong.empty(), bad("{\"id\":\"5\",\"command\":\"a\"}").requestId());
  }

  @Test
  void decode_deepNesting_refused() {
    String deep = "{\"id\":1,\"command\":\"a\",\"args\":" + "[".repeat(40) + "]".repeat(40) + "}";
    assertTrue(bad(deep).reason().contains("limit"), bad(deep).reason());
  }

  @Test
  void decode_overTheSizeBound_tooLarge() {
    byte[] big = new byte[AdminProtocol.MAX_REQUEST_BYTES];
    Arrays.fill(big, (byte) ' ');
    AdminException e = assertThrows(AdminException.class, () -> RequestDecoder.decode(big));
    assertEquals(AdminErrorCode.TOO_LARGE, e.code());
    assertTrue(e.reason().contains("65536"), e.reason());
  }

  @Test
  void decode_hugeUnknownKey_quotedClippedAndEscaped() {
    String key = "\\n" + "k".repeat(5000);
    AdminException e = bad("{\"id\":1,\"command\":\"a\",\"" + key + "\":1}");
    assertTrue(e.reason().length() < 200, e.reason());
    assertTrue(e.reason().contains("\\u000a"), e.reason());
    assertFalse(e.reason().contains("\n"));
  }
}
