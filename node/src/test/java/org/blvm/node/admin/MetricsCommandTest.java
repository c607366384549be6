package org.blvm.node.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import org.blvm.admin.AdminClient;
import org.blvm.admin.AdminErrorCode;
import org.blvm.admin.AdminException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code metrics} over a real admin socket: the text as one answer, one module's on request, an
 * unknown module refused, and a text too large for an answer line refused TOO_LARGE naming the ways
 * around it, with the connection still served.
 */
class MetricsCommandTest {
  @TempDir Path tmp;

  private JsonNode call(Function<Optional<String>, String> text, ObjectNode args) throws Exception {
    Files.createDirectories(tmp.resolve("run"));
    try (AdminServer s =
            AdminServer.start(
                tmp.resolve("run").resolve("admin.d").resolve("admin.sock"),
                new CommandRegistry(List.of(new MetricsCommand(n -> n.equals("known"), text))),
                AdminServer.Settings.defaults());
        AdminClient c = AdminClient.connect(s.socket())) {
      return c.call("metrics", args, Duration.ofSeconds(30));
    }
  }

  @Test
  void text_oneAnswer_allOrOneModule() throws Exception {
    Function<Optional<String>, String> text = m -> "x{module=\"" + m.orElse("all") + "\"} 1\n";
    ObjectNode none = JsonNodeFactory.instance.objectNode();
    assertEquals("x{module=\"all\"} 1\n", call(text, none).path("text").asText());
    ObjectNode one = JsonNodeFactory.instance.objectNode().put("module", "known");
    assertEquals("x{module=\"known\"} 1\n", call(text, one).path("text").asText());
    ObjectNode unknown = JsonNodeFactory.instance.objectNode().put("module", "nobody");
    AdminException e = assertThrows(AdminException.class, () -> call(text, unknown));
    assertEquals(AdminErrorCode.UNKNOWN_MODULE, e.code());
  }

  @Test
  void textOverTheAnswerBound_tooLargeNamingTheWaysAround() throws Exception {
    // quotes double when JSON-encoded: 600 KiB of text is over the 1 MiB answer line
    String big = "\"".repeat(600 * 1024);
    AdminException e =
        assertThrows(
            AdminException.class, () -> call(m -> big, JsonNodeFactory.instance.objectNode()));
    assertEquals(AdminErrorCode.TOO_LARGE, e.code());
    assertTrue(e.getMessage().contains("blvm-loader metrics NAME"), e.getMessage());
    assertTrue(e.getMessage().contains("--metrics-listen"), e.getMessage());
  }
}
