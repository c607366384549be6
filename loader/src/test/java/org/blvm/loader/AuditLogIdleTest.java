package org.blvm.loader;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.blvm.testsupport.Poll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The audit writer sleeps without a timer while no decision comes (no periodic wake-ups of an idle
 * loader), and the first decision after that still reaches the file.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AuditLogIdleTest {
  @TempDir Path tmp;

  private static final Duration WAIT = Duration.ofSeconds(20);

  private static long lines(Path file) {
    try {
      return Files.exists(file) ? Files.readAllLines(file).size() : 0;
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @Test
  void idleWriter_parksWithoutATimer_andTheNextDecisionWakesIt() throws Exception {
    Path file = tmp.resolve("audit.jsonl");
    AuditLog log = new AuditLog(file, 1 << 20, 2, 1024, Clock.systemUTC(), Ticker.system());
    try {
      Poll.until(
          () -> log.writerState() == Thread.State.WAITING,
          WAIT,
          "a writer with nothing to write parked without a timer");
      for (int round = 1; round <= 3; round++) {
        for (int i = 0; i < 100; i++) {
          log.record("m", "get_chain_tip", "read_blockchain", true);
        }
        long expected = 100L * round;
        Poll.until(() -> lines(file) == expected, WAIT, "the decisions after an idle period");
        Poll.until(() -> log.writerState() == Thread.State.WAITING, WAIT, "the writer idle again");
      }
    } finally {
      log.close();
    }
    assertEquals(300, lines(file));
    assertEquals(0, log.status().linesDropped());
  }
}
