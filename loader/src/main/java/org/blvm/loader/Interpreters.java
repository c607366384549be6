package org.blvm.loader;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.blvm.policy.ModuleManifest;

/**
 * The interpreters of interpreted modules ({@code runtime = "python3"}, {@code "node"}): the path
 * the operator configured for each (an absolute path, never a lookup on PATH), resolved once, at
 * the first launch that needs it, to what a sandbox must bind read-only: the interpreter's real
 * file and, for CPython, its standard library directories, which the interpreter is asked for
 * ({@code sysconfig}, run once with a cleared environment). Nothing else of the host is added.
 */
final class Interpreters {
  /** Where the interpreters are unless configured otherwise. */
  static final Map<ModuleManifest.Runtime, Path> DEFAULTS =
      Map.of(
          ModuleManifest.Runtime.PYTHON3, Path.of("/usr/bin/python3"),
          ModuleManifest.Runtime.NODE, Path.of("/usr/bin/node"));

  /**
   * CPython's options for every module: ignore PYTHON* variables (-E), no user site directory (-s),
   * write no bytecode next to the read-only files (-B), unbuffered output so the module's log holds
   * its last lines when it dies (-u).
   */
  static final List<String> PYTHON_OPTIONS = List.of("-E", "-s", "-B", "-u");

  private static final long PROBE_TIMEOUT_MS = 10_000;
  private static final int PROBE_OUTPUT_BYTES = 16 * 1024;
  private static final String PYTHON_PROBE =
      "import sysconfig\n"
          + "print(sysconfig.get_path('stdlib'))\n"
          + "print(sysconfig.get_path('platstdlib'))\n";

  /**
   * One resolved interpreter.
   *
   * @param executable its real path (symbolic links resolved): what runs, and is bound
   * @param options the interpreter's options before the module's entry
   * @param readOnly what a sandbox binds read-only for it: the executable, then its library
   *     directories
   */
  record Interpreter(Path executable, List<String> options, List<Path> readOnly) {
    Interpreter {
      options = List.copyOf(options);
      readOnly = List.copyOf(readOnly);
    }
  }

  private final Map<ModuleManifest.Runtime, Path> configured;

  @GuardedBy("this")
  private final Map<ModuleManifest.Runtime, Interpreter> resolved = new HashMap<>();

  /** {@code configured}: the paths the operator set, laid over {@link #DEFAULTS}. */
  Interpreters(Map<ModuleManifest.Runtime, Path> configured) {
    Map<ModuleManifest.Runtime, Path> all = new LinkedHashMap<>(DEFAULTS);
    all.putAll(configured);
    this.configured = Map.copyOf(all);
  }

  /** The configured path of {@code runtime}'s interpreter. */
  Path configured(ModuleManifest.Runtime runtime) {
    Path p = configured.get(runtime);
    if (p == null) {
      throw new IllegalArgumentException(runtime + " is not an interpreted runtime");
    }
    return p;
  }

  /**
   * The interpreter of {@code runtime}, resolved at the first call (the probe runs outside any
   * lock; two first calls at once may both probe, and the first result is kept).
   *
   * @throws IOException naming the interpreter, what is wrong and what to install or set
   */
  Interpreter resolve(ModuleManifest.Runtime runtime) throws IOException {
    synchronized (this) {
      Interpreter i = resolved.get(runtime);
      if (i != null) {
        return i;
      }
    }
    Interpreter i = probe(runtime, configured(runtime));
    synchronized (this) {
      return resolved.computeIfAbsent(runtime, r -> i);
    }
  }

  private static Interpreter probe(ModuleManifest.Runtime runtime, Path path) throws IOException {
    String fix =
        " (install it: "
            + (runtime == ModuleManifest.Runtime.PYTHON3
                ? "apt-get install python3"
                : "apt-get install nodejs")
            + ", or name another with ModuleManager.Builder.interpreter(\""
            + runtime.wireName()
            + "\", PATH))";
    if (!Files.exists(path)) {
      throw new IOException(
          "runtime " + runtime.wireName() + ": the interpreter " + path + " does not exist" + fix);
    }
    Path real = path.toRealPath();
    if (!Files.isRegularFile(real, LinkOption.NOFOLLOW_LINKS) || !Files.isExecutable(real)) {
      throw new IOException(
          "runtime "
              + runtime.wireName()
              + ": the interpreter "
              + path
              + (real.equals(path) ? "" : " (" + real + ")")
              + " is not an executable file"
              + fix);
    }
    List<Path> readOnly = new ArrayList<>(List.of(real));
    if (runtime != ModuleManifest.Runtime.PYTHON3) {
      return new Interpreter(real, List.of(), readOnly);
    }
    for (String line : run(real, List.of("-E", "-s", "-S", "-c", PYTHON_PROBE))) {
      Path dir = Path.of(line);
      if (!dir.isAbsolute() || !Files.isDirectory(dir)) {
        throw new IOException(
            "runtime python3: "
                + real
                + " names its standard library \""
                + line
                + "\", which is not an existing absolute directory");
      }
      Path d = dir.toRealPath();
      if (readOnly.stream().noneMatch(d::startsWith)) {
        readOnly.removeIf(p -> p.startsWith(d));
        readOnly.add(d);
      }
    }
    if (readOnly.size() < 2) {
      throw new IOException("runtime python3: " + real + " named no standard library directory");
    }
    return new Interpreter(real, PYTHON_OPTIONS, readOnly);
  }

  /** Runs the interpreter with {@code args} (bounded in time and output); its stdout lines. */
  private static List<String> run(Path exe, List<String> args) throws IOException {
    List<String> cmd = new ArrayList<>(List.of(exe.toString()));
    cmd.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().clear();
    pb.environment().put("PATH", "/usr/bin:/bin");
    pb.environment().put("LANG", "C.UTF-8");
    pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    pb.redirectErrorStream(true);
    Process p = pb.start();
    try (InputStream in = p.getInputStream()) {
      // the output is a few lines, well within the pipe's buffer: wait first, then read
      if (!p.waitFor(PROBE_TIMEOUT_MS, TimeUnit.MILLISECONDS)) {
        p.destroyForcibly();
        throw new IOException(
            exe + " did not answer within " + PROBE_TIMEOUT_MS + " ms when asked for its library");
      }
      String out = new String(in.readNBytes(PROBE_OUTPUT_BYTES), StandardCharsets.UTF_8);
      if (p.exitValue() != 0) {
        throw new IOException(
            exe
                + " exited with status "
                + p.exitValue()
                + " when asked for its library: "
                + out.strip());
      }
      return out.lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while asking " + exe + " for its library", e);
    }
  }
}
