package org.blvm.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.stream.Stream;
import org.blvm.loader.ModuleManager;
import org.blvm.loader.ModuleState;
import org.blvm.sandbox.PreflightReport;
import org.blvm.sandbox.SandboxOptions;
import org.blvm.sandbox.Sandboxes;
import org.blvm.testsupport.BareBwrap;

/**
 * (e) Cold start, launch to welcome: a sandboxed and an unsandboxed native module next to a bare
 * {@code bwrap … /usr/bin/true}, a sandboxed and an unsandboxed JVM module next to a bare {@code
 * java -version}, interleaved, the median of {@code runs} each. The sandboxed JVM module (one
 * module, launched once untimed first so that the loader builds its jar's class-data archive) is
 * measured twice per round: without the archive (the bench removes it before the launch, as for a
 * first start; the loader builds it again after that launch, and the bench waits until it has, so
 * no build runs beside a timed launch), then with it. Every module launch is broken into the steps
 * the loader reports on {@code blvm.loader.launch} (DEBUG), the processes it spawned and whether
 * its JVM mapped the archive it was given; the classes a JVM module loaded before its hello are
 * counted in one more launch (untimed) with {@code -Xlog:class+load}. Each module is unloaded after
 * it is measured.
 */
final class ColdStartBench {
  private static final String[] KINDS = {
    "sandboxed native",
    "unsandboxed native",
    "sandboxed JVM",
    "sandboxed JVM+CDS",
    "unsandboxed JVM"
  };

  private ColdStartBench() {}

  /** The launch breakdowns the loader logs, by module id. */
  private static final class Breakdowns extends Handler {
    final Map<String, String> byModule = new ConcurrentHashMap<>();

    @Override
    public void publish(LogRecord r) {
      Object[] p = r.getParameters();
      if (p != null && p.length == 2) {
        byModule.put(String.valueOf(p[0]), String.valueOf(p[1]));
      }
    }

    @Override
    public void flush() {}

    @Override
    public void close() {}
  }

  static List<Result> run(Harness h, int runs) throws Exception {
    // the JUL logger behind the loader's System.Logger; held here so that its level stays set
    Logger launchLog = Logger.getLogger("blvm.loader.launch");
    Breakdowns breakdowns = new Breakdowns();
    breakdowns.setLevel(Level.FINE);
    launchLog.setLevel(Level.FINE);
    launchLog.addHandler(breakdowns);
    try {
      return measure(h, runs, breakdowns);
    } finally {
      launchLog.removeHandler(breakdowns);
      launchLog.setLevel(null);
    }
  }

  private static List<Result> measure(Harness h, int runs, Breakdowns breakdowns) throws Exception {
    String nativeProp = System.getProperty("blvm.bench.nativeModule");
    Path nativeBinary = nativeProp == null ? null : Path.of(nativeProp);
    if (nativeBinary == null || !Files.isExecutable(nativeBinary)) {
      System.out.println(
          "(e) native modules skipped: -Dblvm.bench.nativeModule does not name the compiled"
              + " helper (bench/run builds it)");
      nativeBinary = null;
    }
    SandboxOptions options = SandboxOptions.defaults();
    PreflightReport preflight = Sandboxes.preflight(options);
    if (!preflight.ok()) {
      System.out.println("(e) sandboxed modules skipped:\n" + preflight.describe());
    } else {
      letSandboxEnter(h.work, options.user());
    }
    String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Map<String, List<Long>> totals = new LinkedHashMap<>();
    Map<String, List<Map<String, Double>>> steps = new LinkedHashMap<>();
    for (String k : KINDS) {
      totals.put(k, new ArrayList<>());
      steps.put(k, new ArrayList<>());
    }
    List<Long> bwrap = new ArrayList<>();
    List<Long> java = new ArrayList<>();
    Path sandboxedDir = h.work.resolve("cold-sandboxed");
    Path plainDir = h.work.resolve("cold-plain");
    Path classData = h.work.resolve("cold-data").resolve(".class-data");
    try (ModuleManager sandboxed =
            preflight.ok()
                ? h.sandboxedManager(sandboxedDir, "cold-srun", options)
                    .dataDir(h.work.resolve("cold-data"))
                    .build()
                : null;
        ModuleManager plain = h.manager(plainDir, "cold-prun", (s, t, p) -> {}).build()) {
      if (sandboxed != null) {
        sandboxed.start();
      }
      plain.start();
      Path cds = null;
      if (sandboxed != null) {
        // launched once, untimed: the loader then builds this jar's archive
        cds = installJvm(h, sandboxedDir, "sj");
        launch(sandboxed, cds, KINDS[3], new LinkedHashMap<>(), null, breakdowns);
        awaitArchiveBuilt(classData);
      }
      for (int i = 0; i < runs; i++) {
        if (preflight.ok()) {
          bwrap.add(timeProcess(BareBwrap.command(options.bwrap().toString(), "/usr/bin/true")));
        }
        java.add(timeProcess(List.of(javaBin, "-version")));
        if (nativeBinary != null && sandboxed != null) {
          Path d = h.installNative(sandboxedDir, "sn-" + i, nativeBinary, "mod-ok");
          launch(sandboxed, d, KINDS[0], totals, steps, breakdowns);
        }
        if (nativeBinary != null) {
          Path d = h.installNative(plainDir, "pn-" + i, nativeBinary, "mod-ok");
          launch(plain, d, KINDS[1], totals, steps, breakdowns);
        }
        if (sandboxed != null) {
          removeArchives(classData);
          launch(sandboxed, cds, KINDS[2], totals, steps, breakdowns);
          awaitArchiveBuilt(classData); // the rebuild ends before the next launch
          launch(sandboxed, cds, KINDS[3], totals, steps, breakdowns);
        }
        Path d = installJvm(h, plainDir, "pj-" + i);
        launch(plain, d, KINDS[4], totals, steps, breakdowns);
      }
    }
    ColdStartReport.printBreakdown(KINDS, totals, steps);
    int notMapped = ColdStartReport.printArchiveUse(List.of(KINDS[2], KINDS[3]), steps);
    List<String> classes = classesBeforeHello(h, javaBin);
    System.out.printf(
        "(e) classes loaded by the JVM module before the loader read its hello: %s%n",
        String.join(", ", classes));

    List<Result> out = new ArrayList<>();
    if (!bwrap.isEmpty() && !totals.get(KINDS[0]).isEmpty()) {
      long b = ColdStartReport.median(bwrap);
      long n = ColdStartReport.median(totals.get(KINDS[0]));
      out.add(
          new Result(
              "e",
              "sandboxed native module, launch -> welcome, median of " + runs,
              n + " ms",
              "bare bwrap " + b + " ms",
              b == 0 ? 0 : (double) n / b,
              "<= bwrap + 15 ms",
              n - b <= 15));
    }
    if (!totals.get(KINDS[1]).isEmpty()) {
      long n = ColdStartReport.median(totals.get(KINDS[1]));
      long b = bwrap.isEmpty() ? 0 : ColdStartReport.median(bwrap);
      out.add(
          new Result(
              "e",
              "unsandboxed native module, launch -> welcome",
              n + " ms",
              bwrap.isEmpty() ? "-" : "bare bwrap " + b + " ms",
              b == 0 ? 0 : (double) n / b,
              "-",
              null));
    }
    long j = ColdStartReport.median(java);
    if (!totals.get(KINDS[2]).isEmpty()) {
      long n = ColdStartReport.median(totals.get(KINDS[2]));
      out.add(
          new Result(
              "e",
              "sandboxed JVM module, no class-data archive (removed before), launch -> welcome, median of "
                  + runs,
              n + " ms",
              "java -version " + j + " ms",
              (double) n / j,
              "<= 2.5x java -version",
              n <= 2.5 * j));
    }
    if (!totals.get(KINDS[3]).isEmpty()) {
      long n = ColdStartReport.median(totals.get(KINDS[3]));
      out.add(
          new Result(
              "e",
              "sandboxed JVM module with its class-data archive, launch -> welcome, median of "
                  + runs
                  + (notMapped == 0
                      ? ""
                      : " (ARCHIVE NOT MAPPED in " + notMapped + " launches: not a CDS figure)"),
              n + " ms",
              "java -version " + j + " ms",
              (double) n / j,
              "<= 2.5x java -version",
              notMapped == 0 ? n <= 2.5 * j : null));
    }
    long n = ColdStartReport.median(totals.get(KINDS[4]));
    out.add(
        new Result(
            "e",
            "unsandboxed JVM module, launch -> welcome, median of " + runs,
            n + " ms",
            "java -version " + j + " ms",
            (double) n / j,
            "<= 2x java -version",
            n <= 2.0 * j));
    return out;
  }

  private static Path installJvm(Harness h, Path modulesDir, String name) throws Exception {
    return h.installJava(
        modulesDir, name, IdleJvmModule.class.getName(), List.of("read_blockchain"), Map.of());
  }

  /**
   * The loader's archives, their junixsocket libraries and records in {@code classData} (only the
   * bench's module has one).
   */
  private static List<Path> archives(Path classData) throws IOException {
    if (!Files.isDirectory(classData)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(classData)) {
      return s.filter(
              p ->
                  p.toString().endsWith(".record")
                      || p.toString().endsWith(".jsa")
                      || p.toString().endsWith(".jni"))
          .toList();
    }
  }

  /** Removes the archive, as before a module's first start. */
  private static void removeArchives(Path classData) throws IOException {
    for (Path p : archives(classData)) {
      Files.deleteIfExists(p);
    }
  }

  /** Waits until the loader has recorded a built archive (written after it), or 300 s. */
  private static void awaitArchiveBuilt(Path classData) throws IOException {
    long deadline = System.nanoTime() + Duration.ofSeconds(300).toNanos();
    while (System.nanoTime() < deadline) {
      if (archives(classData).stream().anyMatch(p -> p.toString().endsWith(".record"))) {
        return;
      }
      java.util.concurrent.locks.LockSupport.parkNanos(20_000_000);
    }
    System.out.println("(e) no class-data archive recorded within 300 s");
  }

  /** Starts the module, waits for its welcome, records both, then unloads it. */
  private static void launch(
      ModuleManager m,
      Path dir,
      String kind,
      Map<String, List<Long>> totals,
      Map<String, List<Map<String, Double>>> steps,
      Breakdowns breakdowns)
      throws Exception {
    String id = dir.getFileName().toString();
    long t0 = System.nanoTime();
    m.startModule(dir);
    if (!m.awaitState(id, ModuleState.INITIALIZED, Duration.ofSeconds(60))
        && !Set.of(ModuleState.SUBSCRIBED, ModuleState.STARTED)
            .contains(m.status(id).orElseThrow().state())) {
      throw new IllegalStateException("module " + id + " did not connect: " + m.status(id));
    }
    long ms = (System.nanoTime() - t0) / 1_000_000;
    totals.computeIfAbsent(kind, k -> new ArrayList<>()).add(ms);
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (!breakdowns.byModule.containsKey(id) && System.nanoTime() < deadline) {
      java.util.concurrent.locks.LockSupport.parkNanos(100_000);
    }
    String line = breakdowns.byModule.get(id);
    if (line != null) {
      Map<String, Double> s = new LinkedHashMap<>();
      for (String pair : line.trim().split(" ")) {
        int eq = pair.indexOf('=');
        s.put(pair.substring(0, eq), Double.parseDouble(pair.substring(eq + 1)));
      }
      if (steps != null) {
        steps.get(kind).add(s);
      }
    }
    breakdowns.byModule.remove(id); // the next launch of the same module logs its own
    m.unloadModule(id);
  }

  /**
   * One more (untimed) unsandboxed JVM module whose JVM logs every class it loads: the classes
   * loaded when the loader has read its hello (its welcome queued; the SDK waits for it), in all
   * and from Jackson databind.
   */
  private static List<String> classesBeforeHello(Harness h, String javaBin) throws Exception {
    Path log = h.work.resolve("classes.log");
    Path wrapper = h.work.resolve("java-classlog");
    Files.writeString(
        wrapper, "#!/bin/sh\nexec " + javaBin + " -Xlog:class+load=info:file=" + log + " \"$@\"\n");
    Files.setPosixFilePermissions(wrapper, PosixFilePermissions.fromString("rwx------"));
    Path dir = h.work.resolve("cold-classes");
    try (ModuleManager m =
        h.manager(dir, "cold-crun", (s, t, p) -> {}).javaExecutable(wrapper).build()) {
      m.start();
      Path d = installJvm(h, dir, "cj");
      m.startModule(d);
      if (!m.awaitState("cj", ModuleState.INITIALIZED, Duration.ofSeconds(60))) {
        return List.of("not measured (" + m.status("cj") + ")");
      }
      List<String> lines = Files.readAllLines(log);
      long all = lines.stream().filter(l -> l.contains("source:")).count();
      long databind = lines.stream().filter(l -> l.contains("jackson.databind")).count();
      long jackson = lines.stream().filter(l -> l.contains("com.fasterxml.jackson")).count();
      long shared = lines.stream().filter(l -> l.contains("shared objects file")).count();
      return List.of(
          all + " classes",
          shared + " of them from the JDK's CDS archive",
          jackson + " Jackson",
          databind + " Jackson databind");
    }
  }

  private static long timeProcess(List<String> cmd) throws Exception {
    long t0 = System.nanoTime();
    Process p =
        new ProcessBuilder(cmd)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .start();
    if (p.waitFor() != 0) {
      throw new IllegalStateException(String.join(" ", cmd) + " failed");
    }
    return (System.nanoTime() - t0) / 1_000_000;
  }

  /**
   * As root the sandbox runs as {@code user}, who must be able to enter the bench's work directory
   * (bwrap resolves bind sources as that user): its group becomes that user's, mode 0710.
   */
  private static void letSandboxEnter(Path dir, String user) throws IOException {
    if (!"root".equals(System.getProperty("user.name"))) {
      return;
    }
    try (Stream<String> lines = Files.lines(Path.of("/etc/passwd"))) {
      for (String line : (Iterable<String>) lines::iterator) {
        String[] f = line.split(":");
        if (f.length > 3 && f[0].equals(user)) {
          Files.setAttribute(dir, "unix:gid", Integer.parseInt(f[3]));
          Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx--x---"));
        }
      }
    }
  }
}
