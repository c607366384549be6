package org.blvm.node.host;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code blvm-node}: the reference node host (docs/operations.md). */
@Command(
    name = "blvm-node",
    mixinStandardHelpOptions = true,
    version = "blvm-node 0.1.0",
    description = "The reference node host: runs modules through the blvm loader.",
    subcommands = {RunCommand.class, CommandLine.HelpCommand.class},
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
      "0:stopped cleanly (SIGINT, SIGTERM)",
      "1:could not start (bad policy, config, directory or socket)",
      "2:wrong command line",
      "70:internal error"
    })
public final class BlvmNode implements Callable<Integer> {
  @Spec CommandSpec spec;

  public static void main(String[] args) {
    if (System.getProperty("java.util.logging.SimpleFormatter.format") == null) {
      System.setProperty(
          "java.util.logging.SimpleFormatter.format", "%1$tF %1$tT %4$s %3$s: %5$s%6$s%n");
    }
    System.exit(commandLine().execute(args));
  }

  /** The configured command line (tests set its output streams). */
  static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new BlvmNode());
    cl.setExitCodeExceptionMapper(e -> NodeExitCodes.INTERNAL);
    cl.setExecutionExceptionHandler(
        (ex, cmd, parseResult) -> {
          PrintWriter err = cmd.getErr();
          err.println("blvm-node: internal error: " + ex);
          err.flush();
          return NodeExitCodes.INTERNAL;
        });
    cl.setParameterExceptionHandler(
        (ex, args) -> {
          CommandLine cmd = ex.getCommandLine();
          PrintWriter err = cmd.getErr();
          err.println("blvm-node: " + ex.getMessage());
          err.println("Try '" + cmd.getCommandSpec().qualifiedName() + " --help'.");
          err.flush();
          return NodeExitCodes.USAGE;
        });
    return cl;
  }

  @Override
  public Integer call() {
    throw new CommandLine.ParameterException(
        spec.commandLine(), "a command is required: run (or --demo)");
  }
}
