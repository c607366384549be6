package org.blvm.tests;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.blvm.testsupport.Poll;

/**
 * A real {@code blvm-node} process (the shaded jar) in a session and process group of its own (so a
 * test can signal the group as a terminal's Ctrl-C does), and the real {@code blvm-loader} CLI run
 * against it, each as a separate process. The node's stdout and stderr go to a file the test reads.
 */
final class NodeProcess implements AutoCloseable {
  private static final Path JAVA = Path.of(System.getProperty("java.home"), "bin", "java");

  final Path home;
  final Path log;
  private final Process process;

  /** What a blvm-loader run printed and its exit code. */
  record Cli(int code, String out, String err) {
    @Override
    public String toString() {
      return "exit " + code + "\n--- out\n" + out + "--- err\n" + err;
    }
  }

  private NodeProcess(Path home, Path log, Process process) {
    this.home = home;
    this.log = log;
    this.process = process;
  }

  static Path jar(String property) {
    Path p = Path.of(System.getProperty(property, "missing"));
    if (!Files.isRegularFile(p)) {
      throw new IllegalStateException(
          property + " does not name a built jar (found " + p + "); run through Maven: mvn verify");
    }
    return p;
  }

  /** Starts {@code blvm-node run --home HOME [MORE…]}. */
  static NodeProcess start(Path home, Path log, String... more) throws IOException {
    List<String> cmd =
        new ArrayList<>(
            List.of(
                "setsid",
                JAVA.toString(),
                "-XX:-UsePerfData",
                "-jar",
                jar("blvm.nodeJar").toString(),
                "run",
                "--home",
                home.toString()));
    cmd.addAll(List.of(more));
    Process p =
        new ProcessBuilder(cmd)
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
            .start();
    return new NodeProcess(home, log, p);
  }

  long pid() {
    return process.pid();
  }

  boolean isAlive() {
    return process.isAlive();
  }

  /**
   * Every whole line the node printed so far. A line still being written (no newline yet: a write
   * crossing a page boundary can be read half done) is left out, so that a field at its end is
   * never read cut short.
   */
  List<String> lines() throws IOException {
    String text = new String(Files.readAllBytes(log), StandardCharsets.UTF_8);
    int end = process.isAlive() ? text.lastIndexOf('\n') + 1 : text.length();
    return new ArrayList<>(List.of(text.substring(0, end).split("\n")));
  }

  /** Waits until the node printed a line matching {@code p}; fails with the output otherwise. */
  void awaitLine(Predicate<String> p, String what) throws Exception {
    awaitLineAfter(0, p, what);
  }

  /**
   * Waits until the node printed a line matching {@code p} after its first {@code mark} lines (a
   * count from {@link #lines}); fails with the output otherwise.
   */
  void awaitLineAfter(int mark, Predicate<String> p, String what) throws Exception {
    try {
      Poll.until(
          () -> {
            try {
              List<String> all = lines();
              return all.subList(Math.min(mark, all.size()), all.size()).stream().anyMatch(p);
            } catch (IOException e) {
              return false;
            }
          },
          Duration.ofSeconds(60),
          what);
    } catch (AssertionError e) {
      throw new AssertionError(e.getMessage() + "\n--- node output\n" + String.join("\n", lines()));
    }
  }

  /** Sends {@code signal} (e.g. "HUP") to the node, or with {@code group} to its process group. */
  void signal(String signal, boolean group) throws Exception {
    String target = group ? "-" + pid() : Long.toString(pid());
    Process kill = new ProcessBuilder("kill", "-" + signal, "--", target).inheritIO().start();
    if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
      throw new AssertionError("kill -" + signal + " " + target + " failed");
    }
  }

  /** Waits for the node to exit; returns its status. */
  int awaitExit(Duration d) throws Exception {
    if (!process.waitFor(d.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new AssertionError(
          "the node did not exit within " + d + "\n--- node output\n" + String.join("\n", lines()));
    }
    return process.exitValue();
  }

  /** Runs {@code blvm-loader ARGS --home HOME}. */
  Cli loader(String... args) throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add(JAVA.toString());
    cmd.add("-XX:-UsePerfData");
    cmd.add("-cp");
    cmd.add(jar("blvm.loaderJar").toString());
    cmd.add("org.blvm.sign.BlvmLoader");
    cmd.addAll(List.of(args));
    cmd.add("--home");
    cmd.add(home.toString());
    return run(cmd, log.getParent());
  }

  private static int runs;

  /** Runs {@code command} to its end (bounded); its output goes to files in {@code dir}. */
  static Cli run(List<String> command, Path dir) throws Exception {
    int n;
    synchronized (NodeProcess.class) {
      n = ++runs;
    }
    Path out = dir.resolve("cli-" + n + ".out");
    Path err = dir.resolve("cli-" + n + ".err");
    Process p =
        new ProcessBuilder(command)
            .directory(dir.toFile())
            .redirectOutput(out.toFile())
            .redirectError(err.toFile())
            .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
            .start();
    if (!p.waitFor(180, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("did not finish within 180 s: " + command);
    }
    return new Cli(
        p.exitValue(),
        Files.readString(out, StandardCharsets.UTF_8),
        Files.readString(err, StandardCharsets.UTF_8));
  }

  @Override
  public void close() throws Exception {
    if (process.isAlive()) {
      signal("TERM", false);
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
      }
    }
  }
}
