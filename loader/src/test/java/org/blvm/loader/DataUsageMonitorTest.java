package org.blvm.loader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.blvm.testsupport.Poll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The monitor's passes over real directories: a module's usage is measured at once and then every
 * interval on the {@code blvm-data-usage} thread; one over a limit is stopped with the reason and
 * no longer watched; deleted files a process holds open count.
 */
class DataUsageMonitorTest {
  @TempDir Path tmp;

  private final List<String> stops = new CopyOnWriteArrayList<>();
  private final List<String> stopThreads = new CopyOnWriteArrayList<>();
  private final AtomicBoolean live = new AtomicBoolean(true);

  private DataUsageMonitor.Subject subject(Path dir, long pid) {
    return new DataUsageMonitor.Subject(
        "m",
        dir,
        pid,
        live::get,
        why -> {
          stops.add(why);
          stopThreads.add(Thread.currentThread().getName());
        });
  }

  @Test
  void watch_growingPastDataMb_stoppedOnTheMonitorThreadWithTheReason_thenNotWatched()
      throws Exception {
    Path d = Files.createDirectory(tmp.resolve("m"));
    Files.write(d.resolve("a"), new byte[512 << 10]);
    try (DataUsageMonitor mon = new DataUsageMonitor(100, 1000, new FakeTicker())) {
      mon.watch(subject(d, -1), new LimitResolver.DataLimit(2L << 20, 1000));

      Poll.until(
          () -> mon.usage("m").map(u -> u.walks() >= 2).orElse(false),
          Duration.ofSeconds(10),
          "measured at once and again after the interval");
      DataUsage u = mon.usage("m").orElseThrow();
      assertTrue(u.bytes() >= 512 << 10 && u.bytes() < 1 << 20, u.toString());
      assertEquals(1, u.entries(), "the file, and nothing else: " + u);
      assertEquals(2L << 20, u.limitBytes());
      assertEquals(List.of(), stops);

      for (int i = 0; i < 4; i++) {
        Files.write(d.resolve("b" + i), new byte[512 << 10]);
      }
      Poll.until(() -> !stops.isEmpty(), Duration.ofSeconds(10), "stopped over the limit");

      assertEquals(1, stops.size(), stops.toString());
      assertTrue(
          stops.get(0).matches("data directory over its limit: 3 MiB of 2 MiB \\(data_mb\\)"),
          stops.get(0));
      assertEquals(List.of("blvm-data-usage"), stopThreads);
      assertEquals(Optional.empty(), mon.usage("m"), "a stopped module is no longer watched");
    }
  }

  @Test
  void watch_launchEnded_watchDropped_neverStopped() throws Exception {
    Path d = Files.createDirectory(tmp.resolve("m"));
    try (DataUsageMonitor mon = new DataUsageMonitor(100, 1000, new FakeTicker())) {
      mon.watch(subject(d, -1), new LimitResolver.DataLimit(1L << 20, 1000));
      Poll.until(() -> mon.usage("m").isPresent(), Duration.ofSeconds(5), "watched");
      live.set(false);
      Files.write(d.resolve("big"), new byte[2 << 20]);

      Poll.until(() -> mon.usage("m").isEmpty(), Duration.ofSeconds(10), "dropped");
      assertEquals(List.of(), stops, "an ended launch is not measured any more");
    }
  }

  /**
   * A process that creates {@code name} in {@code dir}, deletes it, writes {@code mib} MiB into it
   * through a descriptor it keeps, prints "ready" and sleeps: a module hiding data from the walk.
   */
  private static Process holdDeleted(Path dir, String name, int mib) throws Exception {
    Process p =
        new ProcessBuilder(
                "sh",
                "-c",
                "exec 3>\"$1\" 4>>\"$1\" && rm \"$1\" && head -c $(($2 * 1048576)) /dev/zero >&3"
                    + " && sync && echo ready && exec sleep 120",
                "sh",
                dir.resolve(name).toString(),
                Integer.toString(mib))
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    String line =
        new java.io.BufferedReader(
                new java.io.InputStreamReader(p.getInputStream(), StandardCharsets.US_ASCII))
            .readLine();
    assertEquals("ready", line);
    return p;
  }

  @Test
  void watch_deletedFileHeldOpenByTheProcess_counts_andStopsItOverTheLimit() throws Exception {
    Path d = Files.createDirectory(tmp.resolve("m"));
    Process p = holdDeleted(d, "hidden", 3);
    try (DataUsageMonitor mon = new DataUsageMonitor(100, 1000, new FakeTicker())) {
      mon.watch(subject(d, p.pid()), new LimitResolver.DataLimit(2L << 20, 1000));

      Poll.until(() -> !stops.isEmpty(), Duration.ofSeconds(10), "stopped");

      assertEquals(
          "data directory over its limit: 4 MiB of 2 MiB (data_mb); 3 MiB of it in deleted files"
              + " held open",
          stops.get(0),
          "3 MiB held open plus the directory's own block, rounded up");
    } finally {
      p.destroyForcibly().waitFor();
    }
  }

  @Test
  void deletedFiles_countedOncePerFile_onlyOnTheDataDevice_boundedByTheBudget() throws Exception {
    Path d = Files.createDirectory(tmp.resolve("m"));
    long dev = DataFs.statNoFollow(d.toString()).dev();
    Process p = holdDeleted(d, "gone", 1); // through two descriptors of the same file
    try {
      DeletedFiles.Count c = DeletedFiles.count(p.pid(), dev, 100_000);
      assertEquals(new DeletedFiles.Count(1 << 20, 1, 0), c, "one file, counted once");
      assertEquals(DeletedFiles.Count.NONE, DeletedFiles.count(p.pid(), dev + 1, 100_000));
      assertEquals(DeletedFiles.Count.NONE, DeletedFiles.count(p.pid(), dev, 0), "no budget");
    } finally {
      p.destroyForcibly().waitFor();
    }
  }
}
