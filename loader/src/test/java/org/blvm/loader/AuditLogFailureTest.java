package org.blvm.loader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.blvm.protocol.Message;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The audit writer survives write errors: the file is a link to {@code /dev/full} (every write
 * fails with ENOSPC, for any user), then becomes writable again. Nothing is lost silently: the
 * status says so while it fails, and the file gets a gap record for what could not be written.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AuditLogFailureTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Path FULL = Path.of("/dev/full");

  @TempDir Path tmp;

  private static void await(BooleanSupplier condition, String what) {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (!condition.getAsBoolean()) {
      assertTrue(System.nanoTime() < deadline, what);
      Thread.onSpinWait();
    }
  }

  @Test
  void writeErrors_writerRetries_countsTheLoss_andWritesAGapRecordWhenItResumes() throws Exception {
    assumeTrue(Files.isWritable(FULL), "needs /dev/full");
    Path file = tmp.resolve("audit.jsonl");
    Files.createSymbolicLink(file, FULL);
    AuditLog log = new AuditLog(file, 1 << 20, 2, 1024, Clock.systemUTC(), Ticker.system());
    try {
      for (int i = 0; i < 10; i++) {
        log.record("m", "get_block", "read_blockchain", true);
      }
      await(() -> log.status().linesLost() >= 10, "the failed lines were not counted");
      AuditStatus failing = log.status();
      assertFalse(failing.writing());
      assertTrue(failing.lastError().orElseThrow().contains("No space left"), failing.toString());

      Files.delete(file); // the disk has room again
      await(() -> log.status().writing() || log.status().linesLost() > 10, "no retry");
      long lostBefore = log.status().linesLost();
      for (int i = 0; i < 5; i++) {
        log.record("m", "get_chain_tip", "read_blockchain", i % 2 == 0);
      }
      await(() -> log.status().writing(), "the writer did not resume");
      assertEquals(lostBefore, log.status().linesLost(), "lines lost after it resumed");
    } finally {
      log.close();
    }
    List<JsonNode> lines = new ArrayList<>();
    for (String l : Files.readAllLines(file)) {
      lines.add(JSON.readTree(l));
    }
    assertTrue(lines.get(0).has("gap"), lines.toString());
    assertTrue(lines.get(0).get("gap").asLong() >= 10, lines.toString());
    assertTrue(lines.get(0).get("error").asText().contains("No space left"), lines.toString());
    assertTrue(lines.get(0).has("since") && lines.get(0).has("until"), lines.toString());
    assertEquals(6, lines.size(), "the gap record and the five later decisions: " + lines);
    assertEquals("get_chain_tip", lines.get(5).get("method").asText());
    assertTrue(log.status().writing());
  }

  @Test
  void manager_auditStatus_reportsAFailingLog_andRequestsAreStillServed() throws Exception {
    assumeTrue(Files.isWritable(FULL), "needs /dev/full");
    Path file = tmp.resolve("audit/audit.jsonl");
    Files.createDirectories(file.getParent());
    Files.createSymbolicLink(file, FULL);
    try (LoaderFixture fx =
            new LoaderFixture(tmp)
                .module("m", "\"read_blockchain\"", "")
                .start(b -> b.auditLog(file, 1 << 20, 2));
        RawClient c = fx.handshake("m")) {
      assertTrue(fx.manager.auditStatus().writing());
      for (int i = 1; i <= 3; i++) {
        c.send(new Message.Request(i, "get_chain_tip", null));
        assertEquals(i, c.expect(Message.Response.class).id());
      }
      await(() -> fx.manager.auditStatus().linesLost() >= 3, "the manager did not report it");
      assertFalse(fx.manager.auditStatus().writing());
    }
  }
}
