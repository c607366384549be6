package org.blvm.loader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PrivateDirsTest {
  @TempDir Path tmp;

  private static String mode(Path p) throws IOException {
    return PosixFilePermissions.toString(
        Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS));
  }

  @Test
  void create_makesAMissingDirectoryAndItsParents_ownerOnly() throws IOException {
    Path d = tmp.resolve("a/b");
    PrivateDirs.create(d);
    assertTrue(Files.isDirectory(d, LinkOption.NOFOLLOW_LINKS));
    assertEquals("rwx------", mode(d));
  }

  @Test
  void create_narrowsAnExistingDirectory_andLeavesAPrivateOneAsItIs() throws IOException {
    Path d = Files.createDirectory(tmp.resolve("open"));
    Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwxr-xr-x"));
    PrivateDirs.create(d);
    assertEquals("rwx------", mode(d));
    PrivateDirs.create(d);
    assertEquals("rwx------", mode(d));
  }

  @Test
  void create_refusesASymbolicLink_andLeavesItsTargetAlone() throws IOException {
    Path target = Files.createDirectory(tmp.resolve("target"));
    Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path link = Files.createSymbolicLink(tmp.resolve("link"), target);
    IOException e = assertThrows(IOException.class, () -> PrivateDirs.create(link));
    assertTrue(e.getMessage().contains("symbolic link"), e.getMessage());
    assertEquals("rwxr-xr-x", mode(target));
  }

  @Test
  void create_refusesAFile() throws IOException {
    Path f = Files.writeString(tmp.resolve("file"), "x");
    IOException e = assertThrows(IOException.class, () -> PrivateDirs.create(f));
    assertTrue(e.getMessage().contains("not a directory"), e.getMessage());
  }
}
