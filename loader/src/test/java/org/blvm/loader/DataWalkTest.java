package org.blvm.loader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bounded walk of a data directory against the real filesystem, cross-checked with {@code du}
 * (which also counts allocated blocks, each directory, and a hard-linked file once).
 */
class DataWalkTest {
  private static final long NO_LIMIT = Long.MAX_VALUE;

  @TempDir Path tmp;

  /** {@code du -s -B1 --no-dereference}: allocated bytes of the tree, links not followed. */
  private static long du(Path dir) throws IOException, InterruptedException {
    Process p = new ProcessBuilder("du", "-s", "-B1", "-P", dir.toString()).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
    assertTrue(p.waitFor(30, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue(), out);
    return Long.parseLong(out.split("\\s+")[0]);
  }

  private static DataWalk.Step walkAll(DataWalk w) {
    DataWalk.Step s = w.step(Integer.MAX_VALUE, 0);
    assertTrue(s.complete(), s.toString());
    return s;
  }

  private static void write(Path f, int bytes) throws IOException {
    Files.write(f, new byte[bytes]);
  }

  @Test
  void step_smallFilesSparseFileAndHardLinks_countAllocatedBlocksLikeDu() throws Exception {
    Path d = Files.createDirectory(tmp.resolve("data"));
    Path many = Files.createDirectory(d.resolve("many"));
    for (int i = 0; i < 200; i++) {
      write(many.resolve("f" + i), 1); // one byte each, a whole block each on disk
    }
    try (RandomAccessFile sparse = new RandomAccessFile(d.resolve("sparse").toFile(), "rw")) {
      sparse.setLength(64L << 20); // 64 MiB long, nothing allocated
      sparse.write(1);
    }
    write(d.resolve("linked"), 1 << 20);
    Files.createLink(d.resolve("link2"), d.resolve("linked"));
    Files.createLink(many.resolve("link3"), d.resolve("linked"));

    try (DataWalk w = new DataWalk(d.toString(), NO_LIMIT, NO_LIMIT)) {
      DataWalk.Step s = walkAll(w);

      assertEquals(du(d), s.bytes(), "allocated bytes, as du counts them");
      assertEquals(205, s.entries(), "many/, 200 files, sparse, linked and its two other names");
      assertTrue(s.bytes() >= 200L * 512, "each 1-byte file takes at least a block: " + s.bytes());
      assertTrue(s.bytes() < 8L << 20, "the sparse file counts what it occupies: " + s.bytes());
      assertNull(s.problem());
      assertFalse(w.inProgress());
      assertEquals(s, walkAll(w), "the next walk starts afresh and finds the same");
    }
  }

  @Test
  void step_budget_aTreeIsMeasuredOverSeveralSteps_withTheSameTotal() throws Exception {
    Path d = Files.createDirectory(tmp.resolve("data"));
    for (int i = 0; i < 5; i++) {
      Path sub = Files.createDirectories(d.resolve("d" + i).resolve("deeper"));
      for (int j = 0; j < 48; j++) {
        write(sub.resolve("f" + j), 100);
      }
    }
    // 5 × (d/, deeper/, 48 files) = 250 entries

    try (DataWalk w = new DataWalk(d.toString(), NO_LIMIT, NO_LIMIT)) {
      DataWalk.Step a = w.step(100, 0);
      assertFalse(a.complete());
      assertEquals(100, a.examined(), "never more than the budget");
      assertTrue(w.inProgress(), "the walk carries on at the next step");
      DataWalk.Step b = w.step(100, 0);
      assertFalse(b.complete());
      assertEquals(200, b.entries(), "the second step carried on where the first stopped");
      DataWalk.Step c = w.step(100, 0);
      assertTrue(c.complete());
      assertEquals(50, c.examined());
      assertEquals(250, c.entries());
      assertEquals(du(d), c.bytes());
    }
  }

  @Test
  void step_symlinks_neverFollowed_eachCountsAsItself() throws Exception {
    Path outside = Files.createDirectory(tmp.resolve("outside"));
    write(outside.resolve("big"), 4 << 20);
    Path d = Files.createDirectory(tmp.resolve("data"));
    Files.createSymbolicLink(d.resolve("to-outside"), outside);
    Files.createSymbolicLink(d.resolve("to-big"), outside.resolve("big"));
    Files.createSymbolicLink(d.resolve("to-root"), Path.of("/"));
    Files.createSymbolicLink(d.resolve("loop"), d.resolve("loop"));
    Files.createSymbolicLink(d.resolve("to-self"), d);

    try (DataWalk w = new DataWalk(d.toString(), 1 << 20, NO_LIMIT)) {
      DataWalk.Step s = walkAll(w);

      assertEquals(5, s.entries(), "five links, nothing behind them");
      assertEquals(du(d), s.bytes());
      assertTrue(s.bytes() < 1 << 20, "the 4 MiB file outside is not counted: " + s.bytes());
      assertNull(s.problem(), "a 1 MiB limit is not exceeded by what links point to");
    }
  }

  @Test
  void step_nameNotUtf8_measuredLikeAnyOther() throws Exception {
    Path d = Files.createDirectory(tmp.resolve("data"));
    // a directory and a file whose names are not valid UTF-8, made by the shell from raw bytes
    Process p =
        new ProcessBuilder(
                "sh",
                "-c",
                "cd \"$1\" && mkdir \"$(printf 'd\\377')\" && "
                    + "head -c 2097152 /dev/zero > \"$(printf 'd\\377')/$(printf 'f\\376')\"",
                "sh",
                d.toString())
            .inheritIO()
            .start();
    assertTrue(p.waitFor(30, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue());

    try (DataWalk w = new DataWalk(d.toString(), NO_LIMIT, NO_LIMIT)) {
      DataWalk.Step s = walkAll(w);

      assertEquals(2, s.entries());
      assertEquals(du(d), s.bytes());
      assertTrue(s.bytes() >= 2 << 20, "the 2 MiB file behind the odd names counts");
    }
  }

  @Test
  void step_overDataFiles_problemNamesTheCountAndTheKey() throws Exception {
    Path d = Files.createDirectory(tmp.resolve("data"));
    for (int i = 0; i < 30; i++) {
      Files.createFile(d.resolve("empty" + i)); // no blocks at all: only the entry count stops it
    }

    try (DataWalk w = new DataWalk(d.toString(), NO_LIMIT, 20)) {
      DataWalk.Step s = w.step(1000, 0);

      assertEquals(
          "data directory over its limit: 30 entries of 20 (data_files)", s.problem().reason());
      assertFalse(w.inProgress(), "the next step starts a new walk");
    }
    try (DataWalk w = new DataWalk(d.toString(), NO_LIMIT, 20)) {
      DataWalk.Step s = w.step(25, 0);

      assertEquals(
          "data directory over its limit: at least 25 entries of 20 (data_files)",
          s.problem().reason(),
          "the budget ended the step before the walk");
    }
  }

  @Test
  void step_overDataMb_problemNamesMibAndTheKey_deletedBytesCount() throws Exception {
    Path d = Files.createDirectory(tmp.resolve("data"));
    for (int i = 0; i < 3; i++) {
      write(d.resolve("f" + i), 1 << 20);
    }

    try (DataWalk w = new DataWalk(d.toString(), 2L << 20, NO_LIMIT)) {
      DataWalk.Step s = w.step(1000, 0);
      assertTrue(
          s.problem()
              .reason()
              .matches("data directory over its limit: \\d+ MiB of 2 MiB \\(data_mb\\)"),
          s.problem().reason());
    }
    try (DataWalk w = new DataWalk(d.toString(), 8L << 20, NO_LIMIT)) {
      assertNull(w.step(1000, 0).problem(), "3 MiB are within 8");
      // 6 MiB more held in deleted files: 3 MiB + 4 KiB + 6 MiB, rounded up
      DataWalk.Step s = w.step(1000, 6L << 20);
      assertEquals(
          "data directory over its limit: 10 MiB of 8 MiB (data_mb); 6 MiB of it in deleted files"
              + " held open",
          s.problem().reason());
    }
  }

  @Test
  void step_deeperThanTheBound_problem() throws Exception {
    Path d = Files.createDirectory(tmp.resolve("data"));
    Path p = d;
    for (int i = 0; i < DataWalk.MAX_DEPTH; i++) {
      p = p.resolve("n");
    }
    Files.createDirectories(p);
    try (DataWalk w = new DataWalk(d.toString(), NO_LIMIT, NO_LIMIT)) {
      assertNull(walkAll(w).problem(), MAX_DEPTH_MSG);
    }
    Files.createDirectory(p.resolve("n"));

    try (DataWalk w = new DataWalk(d.toString(), NO_LIMIT, NO_LIMIT)) {
      DataWalk.Step s = w.step(1000, 0);

      assertTrue(
          s.problem()
              .reason()
              .startsWith(
                  "data directory over its limit: nested deeper than 64 directories at ./n/n"),
          s.problem().reason());
      assertFalse(w.inProgress(), "nothing left open");
    }
  }

  private static final String MAX_DEPTH_MSG = "64 levels are measured";

  @Test
  void step_entriesVanishWhileMeasured_skippedNotAProblem() throws Exception {
    Path d = Files.createDirectory(tmp.resolve("data"));
    Path sub = Files.createDirectory(d.resolve("sub"));
    for (int i = 0; i < 50; i++) {
      write(sub.resolve("f" + i), 10);
    }
    try (DataWalk w = new DataWalk(d.toString(), NO_LIMIT, NO_LIMIT)) {
      DataWalk.Step a = w.step(2, 0); // inside sub/ now, its listing open
      assertFalse(a.complete());
      for (int i = 0; i < 50; i++) {
        Files.delete(sub.resolve("f" + i));
      }
      Files.delete(sub);

      DataWalk.Step b = w.step(1000, 0);

      assertNull(b.problem());
      assertNull(b.trouble());
      assertTrue(b.complete());
    }
  }
}
