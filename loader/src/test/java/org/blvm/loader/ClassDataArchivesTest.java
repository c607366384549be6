package org.blvm.loader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.blvm.testsupport.Poll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClassDataArchivesTest {
  @TempDir Path tmp;

  private static final Path JAVA = Path.of(System.getProperty("java.home"), "bin", "java");

  private Path jar(String... entries) throws IOException {
    Path jar = tmp.resolve("module.jar");
    try (ZipOutputStream z = new ZipOutputStream(Files.newOutputStream(jar))) {
      for (String e : entries) {
        z.putNextEntry(new ZipEntry(e));
        z.write(1);
        z.closeEntry();
      }
    }
    return jar;
  }

  /** A dumper that writes {@code content} where the dump's arguments say; counts its runs. */
  private static ClassDataArchives.Dumper writing(String content, AtomicInteger runs) {
    return (java, args, jarDir, work) -> {
      runs.incrementAndGet();
      String out =
          args.stream()
              .filter(a -> a.startsWith("-XX:SharedArchiveFile="))
              .findFirst()
              .orElseThrow()
              .substring("-XX:SharedArchiveFile=".length());
      Files.writeString(Path.of(out), content);
      return 0;
    };
  }

  /** Launches of module {@code id} (each ending at once) until its archive is handed out. */
  private static Path awaitReady(ClassDataArchives a, String id, Path jar)
      throws InterruptedException {
    Optional<Path>[] found = new Optional[] {Optional.empty()};
    Poll.until(
        () -> {
          found[0] = a.archiveFor(id, JAVA, jar);
          a.launchEnded(id);
          return found[0].isPresent();
        },
        Duration.ofSeconds(30),
        "the archive built");
    return found[0].orElseThrow();
  }

  @Test
  void archive_builtOnce_thenHandedOut_recordedWithItsInputs() throws Exception {
    Path jar = jar("a/B.class");
    AtomicInteger runs = new AtomicInteger();
    try (ClassDataArchives a =
        new ClassDataArchives(tmp.resolve(".class-data"), writing("archive", runs))) {
      assertEquals(
          Optional.empty(), a.archiveFor("m", JAVA, jar)); // none yet: a build is scheduled
      Path archive = awaitReady(a, "m", jar);
      assertEquals("archive", Files.readString(archive));
      assertEquals(1, runs.get());
      assertEquals(
          "rwxr-xr-x",
          java.nio.file.attribute.PosixFilePermissions.toString(
              Files.getPosixFilePermissions(archive.getParent())));
      assertEquals(
          "rw-r--r--",
          java.nio.file.attribute.PosixFilePermissions.toString(
              Files.getPosixFilePermissions(archive)));
      String record = Files.readString(Path.of(archive.toString().replace(".jsa", ".record")));
      assertTrue(record.contains("\njar " + jar + " "), record);
      assertTrue(record.contains("\nlibjvm "), record);
      assertTrue(
          record.endsWith(
              "archive "
                  + FileDigests.sha256Hex("archive".getBytes(StandardCharsets.UTF_8))
                  + "\n"),
          record);
      assertEquals(Optional.of(archive), a.archiveFor("m", JAVA, jar));
      assertEquals(1, runs.get());
    }
  }

  @Test
  void archiveChanged_notHandedOut_deletedAndRebuilt() throws Exception {
    Path jar = jar("a/B.class");
    AtomicInteger runs = new AtomicInteger();
    try (ClassDataArchives a =
        new ClassDataArchives(tmp.resolve(".class-data"), writing("archive", runs))) {
      a.archiveFor("m", JAVA, jar);
      Path archive = awaitReady(a, "m", jar);
      try (OutputStream o =
          Files.newOutputStream(archive, java.nio.file.StandardOpenOption.APPEND)) {
        o.write('x');
      }
      assertEquals(Optional.empty(), a.archiveFor("m", JAVA, jar));
      assertEquals(archive, awaitReady(a, "m", jar));
      assertEquals("archive", Files.readString(archive));
      assertEquals(2, runs.get());
    }
  }

  @Test
  void changedJar_isAnotherArchive() throws Exception {
    Path jar = jar("a/B.class");
    AtomicInteger runs = new AtomicInteger();
    try (ClassDataArchives a =
        new ClassDataArchives(tmp.resolve(".class-data"), writing("archive", runs))) {
      a.archiveFor("m", JAVA, jar);
      Path first = awaitReady(a, "m", jar);
      jar("a/B.class", "a/C.class");
      assertEquals(Optional.empty(), a.archiveFor("m", JAVA, jar));
      assertFalse(awaitReady(a, "m", jar).equals(first));
    }
  }

  @Test
  void failedDump_orLinkAsOutput_noArchive() throws Exception {
    Path jar = jar("a/B.class");
    AtomicInteger runs = new AtomicInteger();
    ClassDataArchives.Dumper failing =
        (java, args, jarDir, work) -> {
          runs.incrementAndGet();
          return 1;
        };
    ClassDataArchives.Dumper linking =
        (java, args, jarDir, work) -> {
          runs.incrementAndGet();
          Files.createSymbolicLink(work.resolve("out.jsa"), jar);
          return 0;
        };
    for (ClassDataArchives.Dumper d : List.of(failing, linking)) {
      Path dir = tmp.resolve(".class-data-" + runs.get());
      try (ClassDataArchives a = new ClassDataArchives(dir, d)) {
        int before = runs.get();
        assertEquals(Optional.empty(), a.archiveFor("m", JAVA, jar));
        assertEquals(before, runs.get(), "no build while the launch runs");
        a.launchEnded("m");
        Poll.until(() -> runs.get() == before + 1, Duration.ofSeconds(30), "the dump ran");
        Poll.until(
            () -> {
              try (var s = Files.list(dir)) {
                return s.findAny().isEmpty(); // the work directory removed, nothing recorded
              } catch (IOException e) {
                return false;
              }
            },
            Duration.ofSeconds(30),
            "nothing left in " + dir);
        assertEquals(Optional.empty(), a.archiveFor("m", JAVA, jar));
      }
    }
  }

  @Test
  void unchangedInputs_secondLaunchHashesAndReadsNothing() throws Exception {
    Path jar = jar("a/B.class");
    AtomicInteger runs = new AtomicInteger();
    try (ClassDataArchives a =
        new ClassDataArchives(tmp.resolve(".class-data"), writing("archive", runs))) {
      a.archiveFor("m", JAVA, jar);
      awaitReady(a, "m", jar); // hashes the archive and reads its record, once
      long before = a.filesRead();
      assertTrue(a.archiveFor("m", JAVA, jar).isPresent());
      assertTrue(a.archiveFor("m", JAVA, jar).isPresent());
      assertEquals(before, a.filesRead(), "nothing hashed or read again");
      Files.writeString(jar, "changed"); // a new file: hashed again
      a.archiveFor("m", JAVA, jar);
      assertEquals(before + 1, a.filesRead());
    }
  }

  @Test
  void builtArchive_digestTakenWhileCopying_firstLaunchDoesNotHashIt() throws Exception {
    Path jar = jar("a/B.class");
    AtomicInteger runs = new AtomicInteger();
    Path dir = tmp.resolve(".class-data");
    try (ClassDataArchives a = new ClassDataArchives(dir, writing("archive", runs))) {
      assertEquals(Optional.empty(), a.archiveFor("m", JAVA, jar));
      a.launchEnded("m");
      Poll.until(
          () -> {
            try (var s = Files.list(dir)) {
              return s.anyMatch(p -> p.toString().endsWith(".record"));
            } catch (IOException e) {
              return false;
            }
          },
          Duration.ofSeconds(30),
          "the archive built");
      long before = a.filesRead();
      Path archive = a.archiveFor("m", JAVA, jar).orElseThrow();
      assertEquals(before + 1, a.filesRead(), "the record read; the archive not hashed again");
      assertEquals(
          FileDigests.sha256Hex("archive".getBytes(StandardCharsets.UTF_8)),
          new FileDigests().sha256(archive),
          "the digest taken at the build is the file's");
    }
  }

  @Test
  void archiveRewrittenInPlace_sameSize_notHandedOut() throws Exception {
    Path jar = jar("a/B.class");
    AtomicInteger runs = new AtomicInteger();
    try (ClassDataArchives a =
        new ClassDataArchives(tmp.resolve(".class-data"), writing("archive", runs))) {
      a.archiveFor("m", JAVA, jar);
      Path archive = awaitReady(a, "m", jar);
      try (var ch =
          java.nio.channels.FileChannel.open(archive, java.nio.file.StandardOpenOption.WRITE)) {
        ch.write(java.nio.ByteBuffer.wrap("ARCHIVE".getBytes(StandardCharsets.UTF_8)), 0);
      }
      assertEquals(Optional.empty(), a.archiveFor("m", JAVA, jar));
      assertFalse(Files.exists(archive), "the changed archive is deleted");
      assertEquals("archive", Files.readString(awaitReady(a, "m", jar)));
    }
  }

  @Test
  void archiveWritableByOthers_notHandedOut() throws Exception {
    Path jar = jar("a/B.class");
    AtomicInteger runs = new AtomicInteger();
    try (ClassDataArchives a =
        new ClassDataArchives(tmp.resolve(".class-data"), writing("archive", runs))) {
      a.archiveFor("m", JAVA, jar);
      Path archive = awaitReady(a, "m", jar);
      Files.setPosixFilePermissions(
          archive, java.nio.file.attribute.PosixFilePermissions.fromString("rw-rw-rw-"));
      assertEquals(Optional.empty(), a.archiveFor("m", JAVA, jar));
      assertEquals(2, awaitReadyRuns(a, jar, runs));
    }
  }

  private static int awaitReadyRuns(ClassDataArchives a, Path jar, AtomicInteger runs)
      throws InterruptedException {
    awaitReady(a, "m", jar);
    return runs.get();
  }

  @Test
  void junixsocketLibraryOfTheJar_copiedBesideTheArchive_namedToTheJvm_aChangedOneRefused()
      throws Exception {
    String arch = System.getProperty("os.arch");
    Path jar =
        jar(
            "a/B.class",
            "lib/" + arch + "-Linux-clang/jni/libjunixsocket-native-2.10.1.so",
            "lib/" + arch + "-Linux-clang/jni/libjunixsocket-native-2.10.1.nodeps.so",
            "lib/other-Linux-clang/jni/libjunixsocket-native-2.10.1.so");
    AtomicInteger runs = new AtomicInteger();
    Path dir = tmp.resolve(".class-data");
    try (ClassDataArchives a = new ClassDataArchives(dir, writing("archive", runs))) {
      a.archiveFor("m", JAVA, jar);
      Path archive = awaitReady(a, "m", jar);
      Path lib = ClassDataArchives.libraryOf(archive);
      assertEquals(archive.toString().replace(".jsa", ".jni"), lib.toString());
      assertEquals(1, Files.readAllBytes(lib).length);
      assertEquals(1, Files.readAllBytes(lib)[0], "the jar's entry, copied");
      assertEquals(
          "rw-r--r--",
          java.nio.file.attribute.PosixFilePermissions.toString(
              Files.getPosixFilePermissions(lib)));
      String record = Files.readString(Path.of(archive.toString().replace(".jsa", ".record")));
      assertTrue(
          record.contains("\nlibrary " + FileDigests.sha256Hex(new byte[] {1}) + "\n"), record);
      List<String> o =
          LimitResolver.jvmOptions(64, 2, org.blvm.sandbox.ResourceLimits.jvmDefaults());
      assertTrue(
          LimitResolver.withClassDataArchive(o, Optional.of(archive))
              .contains("-D" + JniLibrary.PROPERTY + "=" + lib));

      Files.write(lib, new byte[] {2}); // a changed library: the archive is not handed out
      assertEquals(Optional.empty(), a.archiveFor("m", JAVA, jar));
      assertFalse(Files.exists(lib));
      assertFalse(Files.exists(archive));
      Path rebuilt = awaitReady(a, "m", jar);
      assertEquals(1, Files.readAllBytes(ClassDataArchives.libraryOf(rebuilt))[0]);

      jar("a/B.class"); // a new jar without a library: the old archive and library removed
      a.archiveFor("m", JAVA, jar);
      Path plain = awaitReady(a, "m", jar);
      Poll.until(() -> !Files.exists(lib), Duration.ofSeconds(30), "the old library removed");
      assertFalse(Files.exists(ClassDataArchives.libraryOf(plain)));
      assertFalse(
          LimitResolver.withClassDataArchive(o, Optional.of(plain)).stream()
              .anyMatch(x -> x.startsWith("-D" + JniLibrary.PROPERTY)));
    }
  }

  @Test
  void jniLibrary_entry_onePerCompilerOrNone() throws Exception {
    String arch = System.getProperty("os.arch");
    String clang = "lib/" + arch + "-Linux-clang/jni/libjunixsocket-native-2.10.1.so";
    String gpp = "lib/" + arch + "-Linux-gpp/jni/libjunixsocket-native-2.10.1.so";
    assertEquals(clang, JniLibrary.entry(jar(gpp, clang)));
    assertEquals(gpp, JniLibrary.entry(jar(gpp)));
    assertEquals(
        null,
        JniLibrary.entry(
            jar(clang, "lib/" + arch + "-Linux-clang/jni/libjunixsocket-native-2.9.0.so")),
        "two versions: none chosen");
    assertEquals(null, JniLibrary.entry(jar("a/B.class", "lib/x/../" + clang)));
  }

  private static List<Path> list(Path dir) throws IOException {
    try (var s = Files.list(dir)) {
      return s.sorted().toList();
    }
  }

  @Test
  void newJarOfAModule_oldPairRemoved_foreignFileLeftAloneAndLogged() throws Exception {
    Path dir = tmp.resolve(".class-data");
    Path jar = jar("a/B.class");
    Path other = tmp.resolve("other.jar");
    Files.copy(jar, other);
    List<String> log = new java.util.concurrent.CopyOnWriteArrayList<>();
    org.blvm.testsupport.LogCapture c =
        org.blvm.testsupport.LogCapture.install("blvm.loader.class-data", log);
    AtomicInteger runs = new AtomicInteger();
    try (ClassDataArchives a = new ClassDataArchives(dir, writing("archive", runs))) {
      a.archiveFor("m", JAVA, jar);
      Path first = awaitReady(a, "m", jar);
      a.archiveFor("n", JAVA, other);
      Path others = awaitReady(a, "n", other);
      Path foreign = Files.writeString(dir.resolve("notes.txt"), "the operator's");
      Path foreignLike = Files.writeString(dir.resolve("a".repeat(64) + ".jsa"), "x");
      Files.setPosixFilePermissions(
          foreignLike, java.nio.file.attribute.PosixFilePermissions.fromString("rw-rw-rw-"));
      jar("a/B.class", "a/C.class"); // module m upgraded (here: its jar rewritten)
      a.archiveFor("m", JAVA, jar);
      Path second = awaitReady(a, "m", jar);
      Path firstRecord = Path.of(first.toString().replace(".jsa", ".record"));
      Poll.until(() -> !Files.exists(firstRecord), Duration.ofSeconds(30), "the old pair removed");
      assertFalse(Files.exists(first));
      assertTrue(Files.exists(second));
      assertTrue(Files.exists(others), "another module's archive is kept");
      assertEquals("the operator's", Files.readString(foreign));
      assertTrue(Files.exists(foreignLike), "a file of the loader's naming it does not own");
      Poll.until(
          () -> log.stream().anyMatch(l -> l.contains(foreign + " in the class-data directory")),
          Duration.ofSeconds(30),
          "the foreign file logged");
      assertTrue(log.stream().anyMatch(l -> l.contains(foreignLike + " in the class-data")));
      assertEquals(6, list(dir).size(), "" + list(dir));
    } finally {
      c.uninstall();
    }
  }

  @Test
  void sweepAtStart_removesArchivesOfGoneJarsAndLeftovers_keepsTheRest() throws Exception {
    Path dir = tmp.resolve(".class-data");
    Path jar = jar("a/B.class");
    Path gone = tmp.resolve("gone.jar");
    Files.copy(jar, gone);
    AtomicInteger runs = new AtomicInteger();
    Path kept;
    Path removed;
    try (ClassDataArchives a = new ClassDataArchives(dir, writing("archive", runs))) {
      a.archiveFor("m", JAVA, jar);
      kept = awaitReady(a, "m", jar);
      a.archiveFor("g", JAVA, gone);
      removed = awaitReady(a, "g", gone);
    }
    Files.delete(gone);
    Path work = Files.createDirectory(dir.resolve(".work-1"));
    Files.writeString(work.resolve("out.jsa"), "partial");
    try (ClassDataArchives a = new ClassDataArchives(dir, writing("archive", runs))) {
      Poll.until(() -> !Files.exists(work), Duration.ofSeconds(30), "the leftover removed");
      Path removedRecord = Path.of(removed.toString().replace(".jsa", ".record"));
      Poll.until(
          () -> !Files.exists(removed) && !Files.exists(removedRecord),
          Duration.ofSeconds(30),
          "the gone jar's pair removed");
      assertEquals(List.of(kept, Path.of(kept.toString().replace(".jsa", ".record"))), list(dir));
      assertEquals(Optional.of(kept), a.archiveFor("m", JAVA, jar));
    }
  }

  @Test
  void ignoredArchive_warnedRemovedRebuilt_thenNotHandedOutAfterASecondMiss() throws Exception {
    Path jar = jar("a/B.class");
    AtomicInteger runs = new AtomicInteger();
    List<String> log = new java.util.concurrent.CopyOnWriteArrayList<>();
    org.blvm.testsupport.LogCapture c =
        org.blvm.testsupport.LogCapture.install("blvm.loader.class-data", log);
    long self = ProcessHandle.current().pid(); // a JVM that maps no such archive
    try (ClassDataArchives a =
        new ClassDataArchives(tmp.resolve(".class-data"), writing("archive", runs))) {
      a.archiveFor("m", JAVA, jar);
      Path archive = awaitReady(a, "m", jar);
      assertEquals(Optional.of(false), a.checkMapped("m", archive, self));
      assertFalse(Files.exists(archive));
      assertEquals(1, log.stream().filter(l -> l.contains("did not map")).count(), "" + log);
      assertTrue(log.stream().anyMatch(l -> l.contains("module m") && l.contains("" + archive)));
      assertEquals(archive, awaitReady(a, "m", jar));
      assertEquals(2, runs.get());
      assertEquals(Optional.of(false), a.checkMapped("m", archive, self));
      assertEquals(1, log.stream().filter(l -> l.contains("ignored the rebuilt")).count());
      assertEquals(Optional.empty(), a.archiveFor("m", JAVA, jar));
      assertEquals(2, runs.get(), "not rebuilt again");
      assertEquals(Optional.empty(), a.checkMapped("m", archive, Long.MAX_VALUE)); // no process
    } finally {
      c.uninstall();
    }
  }

  @Test
  void withClassDataArchive_afterShareAuto() {
    List<String> o = LimitResolver.jvmOptions(64, 2, org.blvm.sandbox.ResourceLimits.jvmDefaults());
    assertEquals(o, LimitResolver.withClassDataArchive(o, Optional.empty()));
    List<String> w = LimitResolver.withClassDataArchive(o, Optional.of(Path.of("/a/b.jsa")));
    assertEquals(o.indexOf("-Xshare:auto") + 1, w.indexOf("-XX:SharedArchiveFile=/a/b.jsa"));
    assertEquals(o.size() + 1, w.size());
  }
}
