package org.blvm.loader;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Pattern;
import org.blvm.policy.RestartRule;
import org.blvm.testsupport.LogCapture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Loader log lines print plain numbers: no thousands separators in pids, delays or counts. */
class LogNumbersTest {
  static {
    // the tests run patched into the loader's module, which does not read java.logging
    LogNumbersTest.class
        .getModule()
        .addReads(ModuleLayer.boot().findModule("java.logging").orElseThrow());
  }

  /** A digit, a separator a locale might use, and three digits. */
  private static final Pattern GROUPED = Pattern.compile("\\d[,.\u00a0\u202f']\\d{3}\\b");

  @TempDir Path tmp;

  @Test
  void restartDelay_over999Ms_printedWithoutSeparator() {
    List<String> lines = new CopyOnWriteArrayList<>();
    LogCapture capture = LogCapture.install("blvm.loader", lines);
    try (RestartPolicy policy = new RestartPolicy(new FakeTicker())) {
      ModuleHost host = new ModuleHost("m", "1.0.0", (h, from, to, detail) -> {});
      policy.failed(
          "m",
          new RestartRule(RestartRule.Mode.ALWAYS, 1234, 604_800, 2_500_000, 3_600_000),
          1,
          host,
          () -> {});
    } finally {
      capture.uninstall();
    }
    String line =
        lines.stream().filter(l -> l.contains("will be restarted")).findFirst().orElseThrow();
    assertTrue(line.contains("in 2500000 ms"), line);
    assertTrue(line.contains("of at most 1234 in 604800 s"), line);
    assertFalse(GROUPED.matcher(line).find(), line);
  }

  @Test
  void launchLine_pidPrintedWithoutSeparator() throws Exception {
    List<String> lines = new CopyOnWriteArrayList<>();
    LogCapture capture = LogCapture.install("blvm.loader.module", lines);
    try (LoaderFixture fx = new LoaderFixture(tmp).module("counted", "", "")) {
      fx.start(b -> {});
    } finally {
      capture.uninstall();
    }
    String pid = Long.toString(ProcessHandle.current().pid()); // the in-process "module"
    String line = lines.stream().filter(l -> l.contains("launched, pid")).findFirst().orElseThrow();
    assertTrue(line.contains("pid " + pid), line + " (expected pid " + pid + ")");
    assertFalse(GROUPED.matcher(line).find(), line);
  }
}
