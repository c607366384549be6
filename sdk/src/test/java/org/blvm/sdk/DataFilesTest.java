package org.blvm.sdk;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataFilesTest {
  @TempDir Path dir;

  @Test
  void writeAtomically_createsAndReplaces_leavesNoTemporaryFile() throws Exception {
    Path f = dir.resolve("state.json");

    DataFiles.writeAtomically(f, "{\"a\":1}".getBytes(StandardCharsets.UTF_8));
    DataFiles.writeAtomically(f, "{}".getBytes(StandardCharsets.UTF_8));

    assertArrayEquals("{}".getBytes(StandardCharsets.UTF_8), Files.readAllBytes(f));
    assertFalse(Files.exists(dir.resolve("state.json.tmp")));
  }

  @Test
  void writeAtomically_overALeftoverTemporaryFile_writesOnlyTheNewContent() throws Exception {
    Path f = dir.resolve("state.json");
    Files.writeString(dir.resolve("state.json.tmp"), "half of an older write that was killed");

    DataFiles.writeAtomically(f, "new".getBytes(StandardCharsets.UTF_8));

    assertArrayEquals("new".getBytes(StandardCharsets.UTF_8), Files.readAllBytes(f));
    assertFalse(Files.exists(dir.resolve("state.json.tmp")));
  }
}
