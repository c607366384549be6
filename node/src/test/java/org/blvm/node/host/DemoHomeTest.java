package org.blvm.node.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The demo deletes nothing it did not make. */
class DemoHomeTest {
  @TempDir Path tmp;

  /** A directory someone else filled: precious/sub/notes.txt and a read-only file. */
  private Path precious() throws IOException {
    Path dir = tmp.resolve("precious");
    Files.createDirectories(dir.resolve("sub"));
    Files.writeString(dir.resolve("sub/notes.txt"), "do not delete\n");
    Path ro = Files.writeString(dir.resolve("modules"), "a file named like the demo's entry\n");
    Files.setPosixFilePermissions(ro, PosixFilePermissions.fromString("r--r-----"));
    return dir;
  }

  /** Every path below {@code root} with its type, mode and content. */
  private static Map<String, String> snapshot(Path root) throws IOException {
    Map<String, String> m = new TreeMap<>();
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : s.toList()) {
        String mode =
            PosixFilePermissions.toString(
                Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS));
        String what =
            Files.isSymbolicLink(p)
                ? "link " + Files.readSymbolicLink(p)
                : Files.isDirectory(p) ? "dir" : "file " + Files.readString(p);
        m.put(root.relativize(p).toString(), mode + " " + what);
      }
    }
    return m;
  }

  @Test
  void prepare_nonEmptyDirWithoutMarker_refusedAndUntouched() throws Exception {
    Path dir = precious();
    Map<String, String> before = snapshot(dir);

    DemoHome.RefusedException e =
        assertThrows(DemoHome.RefusedException.class, () -> DemoHome.prepare(dir));

    assertTrue(
        e.getMessage().contains("is not empty and was not made by the demo"), e.getMessage());
    assertEquals(before, snapshot(dir));
    assertEquals("do not delete\n", Files.readString(dir.resolve("sub/notes.txt")));
  }

  @Test
  void demo_workDirHoldingOthersFiles_refusesBeforeDoingAnything() throws Exception {
    Path dir = precious();
    Map<String, String> before = snapshot(dir);
    Path jar = Files.writeString(tmp.resolve("module.jar"), "not looked at");
    StringWriter err = new StringWriter();
    CommandLine cli = BlvmNode.commandLine();
    cli.setOut(new PrintWriter(new StringWriter(), true));
    cli.setErr(new PrintWriter(err, true));

    Path built = DemoLayoutTest.builtModules(tmp.resolve("built"));
    int code =
        cli.execute(
            "--demo",
            "--module-jar",
            jar.toString(),
            "--built-modules",
            built.toString(),
            "--home",
            dir.toString());

    assertEquals(2, code, err.toString());
    assertTrue(err.toString().contains("the demo deletes nothing it did not make"), err.toString());
    assertEquals(before, snapshot(dir));
  }

  @Test
  void prepare_newDir_createdAndMarked() throws Exception {
    Path dir = tmp.resolve("a/b/work");

    DemoHome.prepare(dir);

    assertTrue(Files.isRegularFile(dir.resolve(DemoHome.MARKER)));
  }

  @Test
  void prepare_emptyDir_markedAndUsed() throws Exception {
    Path dir = Files.createDirectory(tmp.resolve("empty"));

    DemoHome.prepare(dir);

    assertTrue(Files.isRegularFile(dir.resolve(DemoHome.MARKER)));
  }

  @Test
  void prepare_markedDir_deletesOnlyThePreviousRunsEntries() throws Exception {
    Path dir = tmp.resolve("work");
    DemoHome.prepare(dir);
    for (String entry : DemoHome.ENTRIES) {
      Files.createDirectories(dir.resolve(entry).resolve("x/y"));
      Files.writeString(dir.resolve(entry).resolve("x/y/z"), "previous run");
    }
    Files.createDirectories(dir.resolve("precious/sub"));
    Files.writeString(dir.resolve("precious/sub/notes.txt"), "mine");
    Files.writeString(dir.resolve("notes.txt"), "mine too");

    DemoHome.prepare(dir);

    for (String entry : DemoHome.ENTRIES) {
      assertFalse(Files.exists(dir.resolve(entry)), entry);
    }
    assertEquals("mine", Files.readString(dir.resolve("precious/sub/notes.txt")));
    assertEquals("mine too", Files.readString(dir.resolve("notes.txt")));
    assertTrue(Files.isRegularFile(dir.resolve(DemoHome.MARKER)));
  }

  @Test
  void prepare_markedDirWhoseEntryIsASymlink_deletesTheLinkNotWhatItPointsTo() throws Exception {
    Path elsewhere = precious();
    Map<String, String> before = snapshot(elsewhere);
    Path dir = tmp.resolve("work");
    DemoHome.prepare(dir);
    Files.createSymbolicLink(dir.resolve("data"), elsewhere);
    Files.createSymbolicLink(dir.resolve("run"), elsewhere.resolve("sub/notes.txt"));

    DemoHome.prepare(dir);

    assertFalse(Files.exists(dir.resolve("data"), LinkOption.NOFOLLOW_LINKS));
    assertFalse(Files.exists(dir.resolve("run"), LinkOption.NOFOLLOW_LINKS));
    assertEquals(before, snapshot(elsewhere));
  }

  @Test
  void prepare_notADirectory_refused() throws Exception {
    Path file = Files.writeString(tmp.resolve("file"), "x");

    assertThrows(DemoHome.RefusedException.class, () -> DemoHome.prepare(file));

    assertEquals("x", Files.readString(file));
  }

  @Test
  void prepare_olderDemosWorkDirectory_countsAsMarked() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("old"));
    Files.writeString(dir.resolve(DemoHome.OLD_MARKER), "made by blvm-demo\n");
    Files.createDirectories(dir.resolve("state/x"));
    Files.writeString(dir.resolve("mine.txt"), "mine");

    DemoHome.prepare(dir);

    assertFalse(Files.exists(dir.resolve("state")));
    assertEquals("mine", Files.readString(dir.resolve("mine.txt")));
    assertTrue(Files.isRegularFile(dir.resolve(DemoHome.MARKER)));
  }

  @Test
  void closedAncestor_aParentOthersCannotEnter_isNamed() throws Exception {
    Path open = Files.createDirectories(tmp.resolve("open"));
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwx------"));
    assertEquals(tmp, Demo.closedAncestor(open.resolve("home")));
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwx--x--x"));
    assertEquals(null, Demo.closedAncestor(open.resolve("home")));
  }
}
