package org.blvm.loader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Module output written by the loader: rotated by size, the tail kept for the crash report, and a
 * module never held up by a slow disk.
 */
class ModuleOutputTest {
  @TempDir Path tmp;

  @Test
  void rotatingLog_sizeBound_keepsNewestFilesInOrder() throws Exception {
    Path file = tmp.resolve("m.out.log");
    RotatingLog log = new RotatingLog(file, 1000, 2);
    StringBuilder all = new StringBuilder();
    for (int i = 0; i < 12; i++) {
      byte[] chunk = ("chunk " + i + " ").repeat(40).getBytes(StandardCharsets.US_ASCII);
      log.write(chunk, 0, chunk.length);
      all.append(new String(chunk, StandardCharsets.US_ASCII));
    }
    log.close();

    assertFalse(Files.exists(log.numbered(3)), "only 2 rotated files are kept");
    String kept = "";
    for (Path p : List.of(log.numbered(2), log.numbered(1), file)) {
      assertTrue(Files.size(p) <= 1000, p + " " + Files.size(p));
      assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(p)));
      kept += Files.readString(p);
    }
    assertEquals(3000, kept.length() + (1000 - Files.size(file)), "two full files and the current");
    assertTrue(all.toString().endsWith(kept), "the newest bytes, in order");
  }

  @Test
  void crashedModule_lastLinesInTheTail_exitLineInTheLog_controlCharactersReplaced()
      throws Exception {
    LaunchSpec spec =
        PlainProcessLauncherTest.spec(
            tmp,
            LaunchSpec.Entry.nativeBinary(Path.of("/bin/sh")),
            List.of(
                "-c",
                "printf 'starting\\none\\ntwo\\n'; printf '\\033[31mred\\n';"
                    + " echo 'fatal: boom' >&2; exit 3"));

    LaunchedProcess p = new PlainProcessLauncher().launch(spec);

    assertEquals(3, p.onExit().get(20, TimeUnit.SECONDS));
    assertEquals("starting | one | two | ?[31mred | fatal: boom", p.lastOutput());
    String log = Files.readString(spec.outputLog());
    assertTrue(log.matches("(?s)--- \\S+ launched, pid \\d+ ---\nstarting\n.*"), log);
    assertTrue(log.endsWith("fatal: boom\n--- " + log.substring(log.lastIndexOf("--- ") + 4)));
    assertTrue(log.contains(" exited with status 3 ---\n"), log);
  }

  @Test
  void tail_lastFiveLines_andNeverLongerThanTheBound() throws Exception {
    String y = "y".repeat(80);
    assertEquals(
        "line 95 "
            + y
            + " | line 96 "
            + y
            + " | line 97 "
            + y
            + " | line 98 "
            + y
            + " | line 99 "
            + y,
        tailOf(lines(100, 80)));
    String longTail = tailOf(lines(100, 300));
    assertEquals(601, longTail.length(), longTail);
    assertTrue(longTail.startsWith("…") && longTail.endsWith("line 99 " + "y".repeat(300)));
  }

  private String tailOf(String output) throws Exception {
    ExecutorService writer = Executors.newSingleThreadExecutor();
    try {
      ModuleOutput o =
          ModuleOutput.start(
              "t",
              new java.io.ByteArrayInputStream(output.getBytes(StandardCharsets.UTF_8)),
              new RotatingLog(Files.createTempFile(tmp, "t", ".log"), 1 << 20, 1),
              1 << 16,
              "launched",
              writer);
      o.written().get(10, TimeUnit.SECONDS);
      return o.tail();
    } finally {
      writer.shutdownNow();
    }
  }

  private static String lines(int n, int width) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < n; i++) {
      b.append("line ").append(i).append(' ').append("y".repeat(width)).append('\n');
    }
    return b.toString();
  }

  @Test
  void flood_stuckDisk_moduleNeverBlocked_droppedCountedMemoryBounded() throws Exception {
    // the log is a FIFO nobody reads yet: opening it for writing blocks the writer thread, as a
    // hung disk would
    Path fifo = tmp.resolve("flood.log");
    assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor());
    Process flood =
        new ProcessBuilder("/bin/sh", "-c", "head -c 33554432 /dev/zero")
            .redirectErrorStream(true)
            .start();
    ExecutorService writer = Executors.newSingleThreadExecutor();
    CompletableFuture<byte[]> drained = null;
    try {
      int budget = 256 << 10;
      ModuleOutput o =
          ModuleOutput.start(
              "flood",
              flood.getInputStream(),
              new RotatingLog(fifo, 1L << 30, 0),
              budget,
              "launched",
              writer);

      assertTrue(flood.waitFor(30, TimeUnit.SECONDS), "the module was held up by the disk");
      assertEquals(0, flood.exitValue());
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (o.droppedBytes() < (32L << 20) - budget) {
        assertTrue(System.nanoTime() < deadline, "dropped only " + o.droppedBytes());
        Thread.sleep(10);
      }
      assertTrue(o.peakPendingBytes() <= budget, "pending " + o.peakPendingBytes());

      // the disk comes back: what was kept is written, with a line saying what was not
      drained =
          CompletableFuture.supplyAsync(
              () -> {
                try (InputStream r = Files.newInputStream(fifo)) {
                  ByteArrayOutputStream all = new ByteArrayOutputStream();
                  r.transferTo(all);
                  return all.toByteArray();
                } catch (java.io.IOException e) {
                  throw new java.io.UncheckedIOException(e);
                }
              });
      o.written().get(20, TimeUnit.SECONDS);
    } finally {
      if (drained == null) {
        // release the writer thread whatever happened
        drained = CompletableFuture.supplyAsync(() -> new byte[0]);
        try (InputStream r = Files.newInputStream(fifo)) {
          r.transferTo(java.io.OutputStream.nullOutputStream());
        }
      }
      writer.shutdown();
      assertTrue(writer.awaitTermination(20, TimeUnit.SECONDS));
    }
    String written = new String(drained.get(20, TimeUnit.SECONDS), StandardCharsets.ISO_8859_1);
    assertTrue(written.startsWith("--- launched ---\n"), written.substring(0, 40));
    assertTrue(written.contains(" bytes of output dropped: "), "the gap is marked");
    assertTrue(written.length() < (1 << 20), "at most the budget was kept: " + written.length());
  }
}
