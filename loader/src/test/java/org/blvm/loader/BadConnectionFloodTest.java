package org.blvm.loader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import org.blvm.testsupport.LogCapture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A module process that floods its own socket with connections sending garbage ({@link
 * ConnectionHog}, a real child JVM) costs the loader no thread per connection and a few log lines,
 * and is FAILED as misbehaving once it passes the limit of bad connections per minute.
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

  @TempDir Path tmp;

  @Test
  void hogFloodingItsSocket_noThreadPerConnection_fewLogLines_failedAsMisbehaving()
      throws Exception {
    try (LoaderFixture fx =
        new LoaderFixture(tmp)
            .policy("[defaults]\nrestart = { mode = \"never\" }\n")
            .module("hog", "", "")) {
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

  /** Threads this JVM has started so far (the JMX thread bean, reached reflectively). */
  private static long threadsStarted() throws Exception {
    Object bean =
        Class.forName("java.lang.management.ManagementFactory")
            .getMethod("getThreadMXBean")
            .invoke(null);
    return (Long)
        Class.forName("java.lang.management.ThreadMXBean")
            .getMethod("getTotalStartedThreadCount")
            .invoke(bean);
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
