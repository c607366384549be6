package org.blvm.node.host;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import org.blvm.loader.ModuleManager;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;

/**
 * {@code --interpreter RUNTIME=PATH}: the interpreter that runs modules of an interpreted runtime
 * ({@code python3}, {@code node}) instead of the loader's default ({@code /usr/bin/python3}, {@code
 * /usr/bin/node}); docs/operations.md.
 */
final class InterpreterOptions {
  /** The interpreted runtimes a path may be given for. */
  static final java.util.List<String> RUNTIMES = java.util.List.of("python3", "node");

  @Option(
      names = "--interpreter",
      paramLabel = "RUNTIME=PATH",
      description =
          "The interpreter for modules of RUNTIME (python3, node): an absolute path to an"
              + " executable file, never looked up on PATH (defaults /usr/bin/python3,"
              + " /usr/bin/node). Repeatable.")
  Map<String, String> given = new TreeMap<>();

  /**
   * The checked paths, by runtime.
   *
   * @throws CommandLine.ParameterException naming the option, the runtime and what is wrong
   */
  Map<String, Path> paths(CommandSpec spec) {
    Map<String, Path> out = new LinkedHashMap<>();
    for (Map.Entry<String, String> e : given.entrySet()) {
      String runtime = e.getKey();
      String where = "--interpreter " + runtime + "=" + e.getValue() + ": ";
      if (!RUNTIMES.contains(runtime)) {
        throw bad(
            spec, where + "\"" + runtime + "\" is not an interpreted runtime (python3, node)");
      }
      Path p = Path.of(e.getValue());
      if (!p.isAbsolute()) {
        throw bad(spec, where + "not an absolute path (it is never looked up on PATH)");
      }
      if (!Files.exists(p)) {
        throw bad(spec, where + "no such file");
      }
      if (!Files.isRegularFile(p)) {
        throw bad(spec, where + "not a regular file");
      }
      if (!Files.isExecutable(p)) {
        throw bad(spec, where + "not executable (chmod +x, or name the interpreter's real file)");
      }
      out.put(runtime, p);
    }
    return out;
  }

  /** Gives {@code builder} every path of {@link #paths}. */
  void applyTo(ModuleManager.Builder builder, CommandSpec spec) {
    paths(spec).forEach(builder::interpreter);
  }

  private static CommandLine.ParameterException bad(CommandSpec spec, String message) {
    return new CommandLine.ParameterException(spec.commandLine(), message);
  }
}
