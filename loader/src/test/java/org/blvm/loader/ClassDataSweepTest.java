package org.blvm.loader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClassDataSweepTest {
  @TempDir Path tmp;

  @Test
  void deleteTree_linksInside_removedAsLinks_theirTargetsUntouched() throws Exception {
    Path outside = Files.createDirectories(tmp.resolve("outside"));
    Path precious = Files.writeString(outside.resolve("precious"), "keep");
    Path work = Files.createDirectories(tmp.resolve("dir").resolve(".work-1"));
    Path nested = Files.createDirectories(work.resolve("a").resolve("b"));
    Files.writeString(nested.resolve("out.jsa"), "partial");
    Files.createSymbolicLink(work.resolve("to-dir"), outside);
    Files.createSymbolicLink(nested.resolve("to-file"), precious);

    ClassDataSweep.deleteTree(work);

    assertFalse(Files.exists(work, java.nio.file.LinkOption.NOFOLLOW_LINKS));
    assertTrue(Files.isDirectory(outside));
    assertEquals("keep", Files.readString(precious));
  }

  @Test
  void deleteTree_deeperThanTheBound_leftInPlace_andTheTargetsUntouched() throws Exception {
    Path work = Files.createDirectories(tmp.resolve(".work-2"));
    Path d = work;
    for (int i = 0; i < ClassDataSweep.MAX_DEPTH + 2; i++) {
      d = Files.createDirectory(d.resolve("d"));
    }
    ClassDataSweep.deleteTree(work);
    assertTrue(Files.isDirectory(work), "a tree deeper than the bound is not walked to its end");
  }
}
