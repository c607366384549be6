package org.blvm.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.blvm.demo.SimulatedChain;
import org.blvm.loader.ModuleManager;
import org.blvm.loader.ModuleState;
import org.blvm.sandbox.SandboxOptions;
import org.blvm.testsupport.LogCapture;
import org.blvm.testsupport.Poll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The class-data archive the loader builds for a JVM module (docs/sandbox.md, "Class-data
 * sharing"): built after the first launch, mapped by the module's next JVM, read-only to the module
 * (a real module tries to write, truncate, chmod, delete and replace it and to write beside it),
 * not used when it was changed on disk, and, when the JVM ignores it, reported and rebuilt.
 */
class SandboxClassDataIT {
  private static final String ATTACK = "attack_class_data = true\n";

  /**
   * Attempts on the file itself, each refused. ("create_beside" is not among them: below /tmp, as
   * in this test, the archive's parent inside the sandbox is the sandbox's own private /tmp, where
   * a new file lands without reaching the host; the host's directory is compared instead.)
   */
  private static final List<String> OPS =
      List.of("write", "truncate", "chmod", "delete", "replace", "delete_dir");

  @TempDir Path tmp;

  /** The loader's launch breakdown lines and its class-data log, while a test runs. */
  private final List<String> log = new java.util.concurrent.CopyOnWriteArrayList<>();

  private final List<LogCapture> captures = new java.util.ArrayList<>();

  @org.junit.jupiter.api.BeforeEach
  void capture() {
    captures.add(LogCapture.install("blvm.loader.launch", log));
    captures.add(LogCapture.install("blvm.loader.class-data", log));
  }

  @org.junit.jupiter.api.AfterEach
  void uninstall() {
    captures.forEach(LogCapture::uninstall);
  }

  /** The {@code archive-mapped} value of module {@code id}'s {@code n}-th launch line (1-based). */
  private String archiveMapped(String id, int n) throws InterruptedException {
    String prefix = "module " + id + " launch steps (ms):";
    Poll.until(
        () -> log.stream().filter(l -> l.contains(prefix)).count() >= n,
        Duration.ofSeconds(60),
        "launch line " + n + " of " + id);
    String line = log.stream().filter(l -> l.contains(prefix)).toList().get(n - 1);
    int i = line.indexOf("archive-mapped=");
    return i < 0 ? "absent" : line.substring(i + "archive-mapped=".length()).strip();
  }

  private ModuleManager manager(SandboxOptions o) {
    return SandboxFixture.manager(tmp, o, new SimulatedChain())
        .admission(ModuleFixture.admission(tmp.resolve("state")))
        .dataDir(tmp.resolve("data"))
        .build();
  }

  /** The built archive, once the loader recorded it. */
  private Path awaitArchive() throws InterruptedException {
    Path dir = tmp.resolve("data").resolve(".class-data");
    Poll.until(
        () -> list(dir).stream().anyMatch(p -> p.toString().endsWith(".record")),
        Duration.ofSeconds(300),
        "a class-data archive recorded in " + dir);
    List<Path> archives = list(dir).stream().filter(p -> p.toString().endsWith(".jsa")).toList();
    assertEquals(1, archives.size(), "" + list(dir));
    return archives.get(0);
  }

  private static List<Path> list(Path dir) {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(dir)) {
      return s.sorted().toList();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The module's output since its last launch, once it printed {@code class_data end}. */
  private String lastRun(String id) throws Exception {
    Path log = tmp.resolve("run").resolve(id + ".out.log");
    Poll.until(
        () -> afterLastLaunch(read(log)).contains("class_data end"),
        Duration.ofSeconds(60),
        "the module's attack report in " + log);
    return afterLastLaunch(read(log));
  }

  private static String read(Path log) {
    try {
      return Files.exists(log) ? Files.readString(log) : "";
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String afterLastLaunch(String text) {
    int i = text.lastIndexOf(" launched, pid ");
    return i < 0 ? "" : text.substring(i);
  }

  /** Whether a running process maps {@code file} (the JVM mapped the archive). */
  private static boolean mappedByAProcess(Path file) throws IOException {
    try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
      for (Path p : procs.filter(p -> p.getFileName().toString().matches("\\d+")).toList()) {
        try {
          if (Files.readString(p.resolve("maps")).contains(file.toString())) {
            return true;
          }
        } catch (IOException | RuntimeException e) {
          // gone, or not ours to read
        }
      }
    }
    return false;
  }

  private static byte[] sha256(Path p) throws Exception {
    return MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p));
  }

  private void restartAndAwait(ModuleManager m, String id) throws InterruptedException {
    m.restartModule(id);
    assertTrue(
        m.awaitState(id, ModuleState.INITIALIZED, Duration.ofSeconds(60))
            || m.status(id).orElseThrow().state() == ModuleState.SUBSCRIBED
            || m.status(id).orElseThrow().state() == ModuleState.STARTED,
        "" + m.status(id));
  }

  @Test
  void jvmModule_mapsTheLoadersArchive_cannotChangeIt_andTheNextStartUsesItUntouched()
      throws Exception {
    SandboxOptions o = SandboxFixture.requireSandbox();
    SandboxFixture.letSandboxEnter(tmp);
    Path modules = Files.createDirectories(tmp.resolve("modules"));
    ModuleFixture.install(modules, "cds", SandboxFixture.CAPS, ATTACK);
    try (ModuleManager m = manager(o)) {
      m.start();
      String first = lastRun("cds");
      assertTrue(first.contains("class_data archive null"), first); // none built yet
      assertEquals("absent", archiveMapped("cds", 1));
      assertTrue(first.contains("class_data chain_tip ok"), first);
      Path archive = awaitArchive();
      Path dir = archive.getParent();
      assertEquals("rwxr-xr-x", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)));
      assertEquals(
          "rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(archive)));
      byte[] before = sha256(archive);
      Path library = Path.of(archive.toString().replace(".jsa", ".jni"));
      assertTrue(
          Files.isRegularFile(library), "the jar's junixsocket library copied: " + list(dir));
      assertEquals(
          "rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(library)));
      byte[] libraryBefore = sha256(library);
      List<Path> filesBefore = list(dir);

      restartAndAwait(m, "cds");
      String second = lastRun("cds");
      assertTrue(second.contains("class_data archive " + archive + "\n"), second);
      for (String op : OPS) {
        assertTrue(second.contains("class_data " + op + " denied "), op + ":\n" + second);
        assertFalse(second.contains("class_data " + op + " ok"), op + ":\n" + second);
      }
      assertTrue(second.contains("class_data library " + library + "\n"), second);
      for (String op : OPS) {
        assertTrue(second.contains("class_data_library " + op + " denied "), op + ":\n" + second);
        assertFalse(second.contains("class_data_library " + op + " ok"), op + ":\n" + second);
      }
      assertTrue(mappedByAProcess(library), "the module's JVM loaded " + library);
      assertArrayEquals(libraryBefore, sha256(library), "the library is unchanged");
      assertTrue(second.contains("chmod denied FileSystemException"), second);
      assertTrue(second.contains("Read-only file system"), second); // the bind is read-only
      assertTrue(second.contains("class_data chain_tip ok"), second);
      assertTrue(mappedByAProcess(archive), "the module's JVM maps " + archive);
      assertEquals("1", archiveMapped("cds", 2), "the loader saw it mapped");
      assertArrayEquals(before, sha256(archive), "the archive is unchanged");
      assertEquals(filesBefore, list(dir), "nothing added to or removed from " + dir);

      restartAndAwait(m, "cds");
      String third = lastRun("cds");
      assertTrue(third.contains("class_data archive " + archive + "\n"), third);
      assertTrue(mappedByAProcess(archive), "the next start maps the untouched " + archive);
    }
  }

  @Test
  void archiveChangedOnDisk_isNotUsed_andIsRebuilt() throws Exception {
    SandboxOptions o = SandboxFixture.requireSandbox();
    SandboxFixture.letSandboxEnter(tmp);
    Path modules = Files.createDirectories(tmp.resolve("modules"));
    ModuleFixture.install(modules, "cds", SandboxFixture.CAPS, ATTACK);
    try (ModuleManager m = manager(o)) {
      m.start();
      lastRun("cds");
      Path archive = awaitArchive();
      Path record = Path.of(archive.toString().replace(".jsa", ".record"));
      // corruption, written by someone who may write there (the test, as the loader's user)
      try (RandomAccessFile f = new RandomAccessFile(archive.toFile(), "rw")) {
        f.seek(f.length() / 2);
        f.write("tampered".getBytes(StandardCharsets.US_ASCII));
      }
      byte[] tampered = sha256(archive);

      restartAndAwait(m, "cds");
      String run = lastRun("cds");
      assertTrue(
          run.contains("class_data archive null"), "the changed archive is not used:\n" + run);
      assertTrue(run.contains("class_data chain_tip ok"), run);
      assertFalse(mappedByAProcess(archive), "no JVM maps the changed archive");

      Path rebuilt = awaitArchive();
      assertEquals(archive, rebuilt);
      Poll.until(() -> Files.exists(record), Duration.ofSeconds(300), "the new record");
      assertFalse(java.util.Arrays.equals(tampered, sha256(rebuilt)), "rebuilt from its inputs");
      restartAndAwait(m, "cds");
      String next = lastRun("cds");
      assertTrue(next.contains("class_data archive " + archive + "\n"), next);
    }
  }

  /**
   * An archive the JVM cannot use (dumped for another class path) with a record that matches it:
   * handed out, ignored by the JVM ({@code -Xshare:auto}), detected, warned about, rebuilt, and the
   * rebuilt one is mapped.
   */
  @Test
  void archiveTheJvmIgnores_isReported_andRebuilt() throws Exception {
    SandboxOptions o = SandboxFixture.requireSandbox();
    SandboxFixture.letSandboxEnter(tmp);
    Path modules = Files.createDirectories(tmp.resolve("modules"));
    ModuleFixture.install(modules, "cds", SandboxFixture.CAPS, ATTACK);
    try (ModuleManager m = manager(o)) {
      m.start();
      lastRun("cds");
      Path archive = awaitArchive();
      Path record = Path.of(archive.toString().replace(".jsa", ".record"));
      String text = Files.readString(record);
      String jarLine = text.lines().filter(l -> l.startsWith("jar ")).findFirst().orElseThrow();
      String jarAndMore = jarLine.substring("jar ".length());
      int cut = jarAndMore.length();
      for (int i = 0; i < 3; i++) {
        cut = jarAndMore.lastIndexOf(' ', cut - 1);
      }
      Path jar = Path.of(jarAndMore.substring(0, cut));
      // the same classes under another path: the JVM refuses the archive for a class path mismatch
      Path elsewhere = Files.createDirectories(tmp.resolve("elsewhere"));
      Path other = Files.copy(jar, elsewhere.resolve("other.jar"));
      String someClass; // one of the jar's own: with none, the JVM skips the class path check
      try (java.util.zip.ZipFile z = new java.util.zip.ZipFile(other.toFile())) {
        someClass =
            z.stream()
                .map(java.util.zip.ZipEntry::getName)
                .filter(n -> n.startsWith("org/blvm/") && n.endsWith(".class"))
                .findFirst()
                .orElseThrow();
      }
      Path list =
          Files.writeString(
              elsewhere.resolve("classlist"),
              "java/lang/Object\n" + someClass.substring(0, someClass.length() - 6) + "\n");
      Path bogus = elsewhere.resolve("bogus.jsa");
      Process dump =
          new ProcessBuilder(
                  Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                  "-Xshare:dump",
                  "-XX:SharedClassListFile=" + list,
                  "-XX:SharedArchiveFile=" + bogus,
                  "-cp",
                  other.toString())
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .start();
      assertEquals(0, dump.waitFor(), "the bogus archive dumped");
      Files.copy(bogus, archive, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      Files.setPosixFilePermissions(archive, PosixFilePermissions.fromString("rw-r--r--"));
      String hex = java.util.HexFormat.of().formatHex(sha256(archive));
      Files.writeString(
          record, text.substring(0, text.lastIndexOf("archive ")) + "archive " + hex + "\n");

      restartAndAwait(m, "cds");
      String run = lastRun("cds");
      assertTrue(run.contains("class_data archive " + archive + "\n"), "handed out:\n" + run);
      assertTrue(run.contains("class_data chain_tip ok"), run);
      assertEquals("0", archiveMapped("cds", 2), "the loader saw it ignored");
      Poll.until(
          () ->
              log.stream()
                  .anyMatch(
                      l ->
                          l.contains(
                              "module cds: its JVM did not map the class-data archive " + archive)),
          Duration.ofSeconds(30),
          "the warning naming the module and the archive");

      assertFalse(Files.exists(archive), "removed");

      restartAndAwait(m, "cds"); // finds none: builds it again
      assertTrue(lastRun("cds").contains("class_data archive null"));
      assertEquals("absent", archiveMapped("cds", 3));
      Poll.until(
          () -> Files.exists(record) && !hex.equals(sha256Hex(archive)),
          Duration.ofSeconds(300),
          "the archive rebuilt");
      restartAndAwait(m, "cds");
      String next = lastRun("cds");
      assertTrue(next.contains("class_data archive " + archive + "\n"), next);
      assertEquals("1", archiveMapped("cds", 4), "the rebuilt archive is mapped");
      assertEquals(
          1, log.stream().filter(l -> l.contains("did not map")).count(), "warned once: " + log);
    }
  }

  /** The file's SHA-256 in hex, or "" while it cannot be read. */
  private static String sha256Hex(Path p) {
    try {
      return java.util.HexFormat.of().formatHex(sha256(p));
    } catch (Exception e) {
      return "";
    }
  }
}
