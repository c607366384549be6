package org.blvm.policy;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** The file work of {@link ModuleInstaller}'s staging directory: final modes, fsync, removal. */
final class InstallStaging {
  private InstallStaging() {}

  /** Modes for the modules directory (0755 directories, 0644 files), then fsync every directory. */
  static void finish(Path copy) throws IOException {
    List<Path> dirs = new ArrayList<>();
    Files.walkFileTree(
        copy,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes a)
              throws IOException {
            Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwxr-xr-x"));
            dirs.add(d);
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFile(Path f, BasicFileAttributes a) throws IOException {
            Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r--r--"));
            return FileVisitResult.CONTINUE;
          }
        });
    dirs.sort(Comparator.comparingInt(Path::getNameCount).reversed());
    for (Path d : dirs) {
      StateFiles.fsyncDir(d);
    }
    StateFiles.fsyncDir(copy.getParent());
  }

  /** Staging directories a killed install left behind (the caller holds the install lock). */
  static void removeLeftovers(Path stagingRoot) throws IOException {
    List<Path> old = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(stagingRoot)) {
      for (Path p : ds) {
        old.add(p);
      }
    }
    for (Path p : old) {
      delete(p);
    }
  }

  static void deleteQuietly(Path p) {
    try {
      delete(p);
    } catch (IOException e) {
      // left for the next install, which removes what is below STATE/install
    }
  }

  /** Deletes a tree without following a symbolic link. */
  static void delete(Path p) throws IOException {
    if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    Files.walkFileTree(
        p,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes a)
              throws IOException {
            // every directory below the staging root is this tool's own copy
            Files.setPosixFilePermissions(d, StateFiles.DIR_0700);
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFile(Path f, BasicFileAttributes a) throws IOException {
            Files.delete(f);
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
            if (e != null) {
              throw e;
            }
            Files.delete(d);
            return FileVisitResult.CONTINUE;
          }
        });
  }
}
