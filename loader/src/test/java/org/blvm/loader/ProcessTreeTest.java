package org.blvm.loader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.blvm.testsupport.Poll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reading a process tree's usage from /proc: a fake /proc for the parsing, the real one for a tree.
 */
class ProcessTreeTest {
  @TempDir Path tmp;

  private static final String STAT_TAIL =
      " S 1 1 1 0 -1 4194560 100 0 0 0 %d %d %d %d 20 0 1 0 100 1000 10";

  private void fake(
      long pid, String comm, long u, long s, long cu, long cs, long rssKb, long... kids)
      throws Exception {
    Path dir = tmp.resolve(Long.toString(pid));
    Files.createDirectories(dir.resolve("task").resolve(Long.toString(pid)));
    Files.writeString(
        dir.resolve("stat"), pid + " (" + comm + ")" + String.format(STAT_TAIL, u, s, cu, cs));
    Files.writeString(dir.resolve("status"), "Name:\tx\nVmRSS:\t  " + rssKb + " kB\nThreads:\t1\n");
    StringBuilder k = new StringBuilder();
    for (long kid : kids) {
      k.append(kid).append(' ');
    }
    Files.writeString(dir.resolve("task").resolve(Long.toString(pid)).resolve("children"), k);
  }

  @Test
  void usage_sumsTheTree_andParsesNamesWithSpacesAndParentheses() throws Exception {
    fake(10, "bwrap", 1, 2, 3, 4, 100, 11);
    fake(11, "a) (b c", 10, 20, 0, 0, 1000, 12, 13);
    fake(12, "java", 100, 50, 0, 0, 5000);
    // 13 ended before it was read: skipped
    ModuleMetrics.ProcessUsage u = new ProcessTree(tmp).usage(10).orElseThrow();
    assertEquals(3, u.processes());
    assertEquals((100 + 1000 + 5000) * 1024L, u.rssBytes());
    assertEquals((1 + 2 + 3 + 4 + 10 + 20 + 100 + 50) / 100.0, u.cpuSeconds(), 1e-9);
  }

  @Test
  void usage_ofAProcessThatIsGone_isEmpty() {
    assertTrue(new ProcessTree(tmp).usage(99).isEmpty());
  }

  @Test
  void cpuTicks_malformed_isMinusOne() {
    assertEquals(-1, ProcessTree.cpuTicks("12 (x"));
    assertEquals(-1, ProcessTree.cpuTicks("12 (x) S 1 2"));
    assertEquals(-1, ProcessTree.cpuTicks("12 (x) S 1 1 1 0 -1 4 1 0 0 0 a b c d 20"));
  }

  @Test
  void usage_realProcessTree_countsTheChild() throws Exception {
    Process p = new ProcessBuilder("sh", "-c", "sleep 30 & wait").redirectErrorStream(true).start();
    try {
      ProcessTree proc = ProcessTree.system();
      Poll.until(
          () -> proc.usage(p.pid()).map(u -> u.processes() == 2).orElse(false),
          Duration.ofSeconds(10),
          "sh and its sleep child");
      ModuleMetrics.ProcessUsage u = proc.usage(p.pid()).orElseThrow();
      assertTrue(u.rssBytes() > 0, u.toString());
    } finally {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
    }
  }
}
