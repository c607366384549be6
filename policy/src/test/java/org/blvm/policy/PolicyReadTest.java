package org.blvm.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A policy file that cannot be read is an I/O problem, not a problem in a policy. */
class PolicyReadTest {
  @TempDir Path tmp;

  @Test
  void read_missingFile_throwsNoSuchFile() {
    Path missing = tmp.resolve("absent.toml");

    NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> Policy.read(missing));

    assertEquals(missing.toString(), e.getFile());
  }

  @Test
  void read_directory_throwsFileSystemExceptionNotPolicyException() throws Exception {
    Path dir = Files.createDirectory(tmp.resolve("policy.toml"));

    FileSystemException e = assertThrows(FileSystemException.class, () -> Policy.read(dir));

    assertEquals(dir.toString(), e.getFile());
    assertEquals("not a regular file", e.getReason());
  }
}
