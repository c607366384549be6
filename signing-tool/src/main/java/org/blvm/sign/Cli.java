package org.blvm.sign;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import picocli.CommandLine;

/**
 * The picocli bootstrap both tools share: messages instead of stack traces, documented exit codes
 * ({@link ExitCodes}).
 */
final class Cli {
  private Cli() {}

  /** Runs {@code root} (a {@code @Command} object) on {@code args} and exits with its code. */
  static void main(Object root, String[] args) {
    System.exit(commandLine(root).execute(args));
  }

  /** The configured command line for {@code root} (tests set its output streams). */
  static CommandLine commandLine(Object root) {
    CommandLine cl = new CommandLine(root);
    cl.setExitCodeExceptionMapper(e -> ExitCodes.INTERNAL);
    cl.setExecutionExceptionHandler(
        (ex, cmd, parseResult) -> {
          PrintWriter err = cmd.getErr();
          err.println(cmd.getCommandName() + ": internal error: " + ex);
          err.flush();
          return ExitCodes.INTERNAL;
        });
    cl.setParameterExceptionHandler(
        (ex, args) -> {
          CommandLine cmd = ex.getCommandLine();
          PrintWriter err = cmd.getErr();
          err.println(cmd.getCommandName() + ": " + ex.getMessage());
          err.println("Try '" + cmd.getCommandSpec().qualifiedName() + " --help'.");
          err.flush();
          return ExitCodes.USAGE;
        });
    return cl;
  }

  /** Prints {@code message} to the command's error stream and returns {@code code}. */
  static int fail(CommandLine.Model.CommandSpec spec, int code, String message) {
    PrintWriter err = spec.commandLine().getErr();
    err.println(spec.root().name() + ": " + message);
    err.flush();
    return code;
  }

  /** An I/O failure in words, without Java class names, e.g. {@code "p.toml: no such file"}. */
  static String describe(IOException e) {
    if (e instanceof NoSuchFileException f) {
      return f.getFile() + ": no such file";
    }
    if (e instanceof AccessDeniedException f) {
      return f.getFile() + ": permission denied";
    }
    if (e instanceof FileAlreadyExistsException f) {
      return f.getFile() + ": already exists";
    }
    if (e instanceof FileSystemException || e.getMessage() != null) {
      return e.getMessage(); // FileSystemException: "<file>: <reason>"
    }
    return e.getClass().getSimpleName();
  }
}
