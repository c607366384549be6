package org.blvm.loader;

import static org.blvm.loader.LoaderFixture.request;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import org.blvm.protocol.Api;
import org.blvm.protocol.EventPayloads;
import org.blvm.protocol.EventType;
import org.blvm.protocol.Message;
import org.blvm.testsupport.LogCapture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A module process that floods its own socket with connections sending garbage ({@link
 * ConnectionHog}, a real child JVM) costs the loader no thread per connection and a few log lines,
 * and is FAILED as misbehaving once it passes the limit of bad connections per minute; with that
 * limit out of reach, a minute of the flood leaves threads, memory and log bounded.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class BadConnectionFloodTest {
  static {
    // the tests run patched into the loader's module, which reads neither of these
    for (String m : List.of("java.logging", "java.management")) {
      BadConnectionFloodTest.class
          .getModule()
          .addReads(ModuleLayer.boot().findModule(m).orElseThrow());
    }
  }

  /** How long the long test floods. */
  private static final Duration FLOOD = Duration.ofSeconds(60);

  /** Live threads the flood may add to the count measured once it runs. */
  static final int THREAD_MARGIN = 4;

  /**
   * Growth of the loader JVM's RSS outside its committed heap over the minute of flooding (the heap
   * itself may grow up to the JVM's maximum as garbage comes and goes; what stays is bounded by
   * {@link #HEAP_GROWTH_BOUND}).
   */
  static final long RSS_GROWTH_BOUND = 64L << 20;

  /** Growth of the heap in use after a full GC over the minute of flooding. */
  static final long HEAP_GROWTH_BOUND = 16L << 20;

  /** Bad connections the hog must cause in the minute for the test to mean anything. */
  static final long MIN_BAD_CONNECTIONS = 600;

  @TempDir Path tmp;

  @Test
  void hogFloodingItsSocket_noThreadPerConnection_fewLogLines_failedAsMisbehaving()
      throws Exception {
    try (LoaderFixture fx =
        new LoaderFixture(tmp)
            .policy("[defaults]\nrestart = { mode = \"never\" }\n")
            .module("hog", "", "")) {
      installHog(fx);

      List<String> lines = new CopyOnWriteArrayList<>();
      LogCapture capture = LogCapture.install("blvm.loader.module", lines);
      try {
        fx.start(b -> b.launcher(ModuleLauncher.plainProcesses()));
        long pid = fx.manager.status("hog").orElseThrow().pid().orElseThrow();
        // from here on the module's accept thread exists; the flood may start any moment
        long startedBefore = threadsStarted();
        assertTrue(fx.manager.awaitState("hog", ModuleState.FAILED, Duration.ofSeconds(60)));
        long started = threadsStarted() - startedBefore;

        ModuleStatus s = fx.manager.status("hog").orElseThrow();
        assertTrue(s.detail().contains("bad connections"), s.detail());
        assertTrue(
            fx.manager.protocolErrors("hog") > BadConnections.DEFAULT_LIMIT_PER_MINUTE,
            "violations counted: " + fx.manager.protocolErrors("hog"));
        // the failure's own work (stop of the process, restart decision) starts a few threads;
        // more than 21 connections each with a reader and a writer would start 42
        assertTrue(started <= 8, started + " threads started during the flood");
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
          assertTrue(System.nanoTime() < deadline, "the hog still runs");
          Thread.onSpinWait();
        }
      } finally {
        capture.uninstall();
      }
      List<String> about =
          lines.stream()
              .filter(l -> l.contains("module hog:") || l.contains("module hog "))
              .toList();
      int chars = about.stream().mapToInt(String::length).sum();
      assertTrue(
          about.size() <= BadConnections.LOG_LINES_PER_WINDOW + 4,
          about.size() + " lines: " + String.join("", about));
      assertTrue(chars < 4096, chars + " characters of log");
      assertEquals(
          1,
          about.stream()
              .filter(l -> l.contains("failed:") && l.contains("bad connections"))
              .count(),
          String.join("", about));
    }
  }

  /**
   * The same hog, with the limit of bad connections and its connect timeout set beyond reach,
   * floods for a minute beside a good module: the loader's live threads stay within {@link
   * #THREAD_MARGIN} of their count once the flood runs, its RSS outside the committed heap grows by
   * less than {@link #RSS_GROWTH_BOUND} and its heap in use after a GC by less than {@link
   * #HEAP_GROWTH_BOUND}, its log about the hog stays under 4 KB, and the good module receives every
   * event published during the flood, in order.
   */
  @Test
  @Timeout(value = 180, unit = TimeUnit.SECONDS)
  void hogFloodingForAMinute_threadsRssAndLogBounded_goodModuleServesEveryEvent() throws Exception {
    try (LoaderFixture fx =
        new LoaderFixture(tmp)
            .policy(
                "[defaults]\nrestart = { mode = \"never\" }\n"
                    + "[modules.hog]\nconnect_timeout_seconds = 300\n"
                    + "[modules.good]\ncapabilities = [\"read_blockchain\", \"subscribe_events\"]\n")
            .module("hog", "", "")
            .module("good", "\"read_blockchain\", \"subscribe_events\"", "")) {
      installHog(fx);
      List<String> lines = new CopyOnWriteArrayList<>();
      LogCapture capture = LogCapture.install("blvm.loader.module", lines);
      ModuleLauncher plain = ModuleLauncher.plainProcesses();
      List<String> samples = new ArrayList<>();
      try {
        fx.start(
            b ->
                b.launcher(
                        spec ->
                            spec.moduleId().equals("hog")
                                ? plain.launch(spec)
                                : fx.launcher.launch(spec))
                    .maxBadConnectionsPerMinute(Integer.MAX_VALUE));
        long launchDeadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!fx.launcher.specs.containsKey("good")) {
          assertTrue(System.nanoTime() < launchDeadline, "the good module was not launched");
          Thread.onSpinWait();
        }
        RawClient good = fx.handshake("good");
        good.send(
            request(1, "subscribe_events", new Api.SubscribeParams(List.of("NewBlock")), good));
        assertNull(good.expect(Message.Response.class).error());
        // the flood is under way: the baseline includes the hog's accept thread and connection
        long floodDeadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (fx.manager.protocolErrors("hog") < 50) {
          assertTrue(System.nanoTime() < floodDeadline, "the hog does not flood");
          Thread.onSpinWait();
        }
        long errorsBefore = fx.manager.protocolErrors("hog");
        int threadsBefore = liveThreads();
        long heapBefore = heapAfterGc();
        long rssBefore = rssKib();
        long outsideBefore = rssBefore * 1024 - heap("getCommitted");
        int maxThreads = threadsBefore;
        long maxRss = rssBefore;
        long maxOutside = outsideBefore;
        long start = System.nanoTime();
        long nextSample = start;
        int events = 0;
        while (System.nanoTime() - start < FLOOD.toNanos()) {
          events++;
          assertEquals(1, fx.manager.publish(EventType.NewBlock, block(events)));
          Message.Event e = good.expect(Message.Event.class);
          assertEquals(events, e.seq(), "the good module's events out of order");
          assertEquals(events, e.payload().get("height").asLong());
          if (System.nanoTime() >= nextSample) {
            nextSample += TimeUnit.SECONDS.toNanos(1);
            int threads = liveThreads();
            long rss = rssKib();
            long outside = rss * 1024 - heap("getCommitted");
            maxThreads = Math.max(maxThreads, threads);
            maxRss = Math.max(maxRss, rss);
            maxOutside = Math.max(maxOutside, outside);
            samples.add(threads + " threads, RSS " + rss / 1024 + " MiB, " + (outside >> 20));
          }
          LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20)); // pacing, not waiting
        }
        long heapAfter = heapAfterGc();
        long flooded = fx.manager.protocolErrors("hog") - errorsBefore;
        ModuleStatus hog = fx.manager.status("hog").orElseThrow();
        assertTrue(
            hog.state() != ModuleState.FAILED
                && ProcessHandle.of(hog.pid().orElseThrow())
                    .map(ProcessHandle::isAlive)
                    .orElse(false),
            "the hog was stopped: " + hog.state() + " " + hog.detail());
        assertTrue(flooded >= MIN_BAD_CONNECTIONS, flooded + " bad connections in the minute");
        assertTrue(
            maxThreads - threadsBefore <= THREAD_MARGIN,
            "live threads from " + threadsBefore + " up to " + maxThreads + ": " + samples);
        assertTrue(
            maxOutside - outsideBefore < RSS_GROWTH_BOUND,
            "RSS outside the heap from "
                + (outsideBefore >> 20)
                + " MiB up to "
                + (maxOutside >> 20)
                + " MiB: "
                + samples);
        assertTrue(
            heapAfter - heapBefore < HEAP_GROWTH_BOUND,
            "heap after GC from " + heapBefore + " to " + heapAfter + " bytes");
        System.out.println(
            "flood of a minute: "
                + flooded
                + " bad connections, "
                + events
                + " events to the good module, threads "
                + threadsBefore
                + " -> max "
                + maxThreads
                + ", RSS "
                + rssBefore / 1024
                + " -> max "
                + maxRss / 1024
                + " MiB (outside the committed heap "
                + (outsideBefore >> 20)
                + " -> max "
                + (maxOutside >> 20)
                + " MiB), heap after GC "
                + heapBefore / 1024
                + " -> "
                + heapAfter / 1024
                + " KiB");
        good.close();
      } finally {
        capture.uninstall();
      }
      List<String> about =
          lines.stream()
              .filter(l -> l.contains("module hog:") || l.contains("module hog "))
              .toList();
      int chars = about.stream().mapToInt(String::length).sum();
      System.out.println("log about the hog: " + about.size() + " lines, " + chars + " chars");
      assertTrue(chars < 4096, chars + " characters of log: " + String.join("", about));
    }
  }

  /** A module of the fixture turned into the {@link ConnectionHog}, run as a plain process. */
  private void installHog(LoaderFixture fx) throws Exception {
    Path dir = tmp.resolve("modules/hog");
    Files.delete(dir.resolve("mod"));
    writeJar(dir.resolve("hog.jar"), ConnectionHog.class);
    Files.writeString(
        dir.resolve("module.toml"),
        "name = \"hog\"\nversion = \"1.0.0\"\nruntime = \"java\"\nentry = \"hog.jar\"\n"
            + "main_class = \""
            + ConnectionHog.class.getName()
            + "\"\ncapabilities = []\n");
    fx.sign(dir);
  }

  private static EventPayloads.NewBlock block(long height) {
    return new EventPayloads.NewBlock(LoaderFixture.H1, height, LoaderFixture.H0, 1, 1);
  }

  /** The thread bean of this JVM (reached reflectively, see the static block). */
  private static Object threadBean() throws Exception {
    return Class.forName("java.lang.management.ManagementFactory")
        .getMethod("getThreadMXBean")
        .invoke(null);
  }

  /** Live threads of this JVM, the loader's among them. */
  private static int liveThreads() throws Exception {
    return (Integer)
        Class.forName("java.lang.management.ThreadMXBean")
            .getMethod("getThreadCount")
            .invoke(threadBean());
  }

  /** The resident set of this JVM, which runs the loader, in KiB ({@code VmRSS}). */
  private static long rssKib() throws Exception {
    for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (l.startsWith("VmRSS:")) {
        return Long.parseLong(l.replaceAll("[^0-9]", ""));
      }
    }
    throw new AssertionError("no VmRSS in /proc/self/status");
  }

  /** Heap in use after a full collection, in bytes. */
  private static long heapAfterGc() throws Exception {
    System.gc();
    return heap("getUsed");
  }

  /** {@code getter} ("getUsed", "getCommitted") of the heap's memory usage, in bytes. */
  private static long heap(String getter) throws Exception {
    Object memory =
        Class.forName("java.lang.management.ManagementFactory")
            .getMethod("getMemoryMXBean")
            .invoke(null);
    Object usage =
        Class.forName("java.lang.management.MemoryMXBean")
            .getMethod("getHeapMemoryUsage")
            .invoke(memory);
    return (Long) Class.forName("java.lang.management.MemoryUsage").getMethod(getter).invoke(usage);
  }

  /** Threads this JVM has started so far (the JMX thread bean, reached reflectively). */
  private static long threadsStarted() throws Exception {
    return (Long)
        Class.forName("java.lang.management.ThreadMXBean")
            .getMethod("getTotalStartedThreadCount")
            .invoke(threadBean());
  }

  private static void writeJar(Path jar, Class<?> main) throws Exception {
    String entry = main.getName().replace('.', '/') + ".class";
    try (OutputStream out = Files.newOutputStream(jar);
        JarOutputStream j = new JarOutputStream(out)) {
      j.putNextEntry(new JarEntry(entry));
      try (var in = main.getClassLoader().getResourceAsStream(entry)) {
        in.transferTo(j);
      }
      j.closeEntry();
    }
  }
}
