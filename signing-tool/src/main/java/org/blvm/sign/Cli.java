package org.blvm.sign;

import java.io.PrintWriter;
import picocli.CommandLine;

/** Shared picocli setup: messages instead of stack traces, documented exit codes. */
final class Cli {
  private Cli() {}

  static CommandLine configure(CommandLine cl) {
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
}
