package org.blvm.node.host;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
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
      "0:stopped cleanly (SIGINT, SIGTERM); --demo --blocks: every module saw every block",
      "1:could not start (bad policy, config, directory or socket); --demo: a block was missed",
      "2:wrong command line",
      "70:internal error"
    })
public final class BlvmNode implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(
      names = "--demo",
      description =
          "Lay out a demo home (a dev key, a policy, a node config, the example modules signed"
              + " with the key) and run the node on it; prints how to use blvm-loader against it.")
  boolean demo;

  @Option(
      names = {"--home", "--work-dir"},
      paramLabel = "DIR",
      defaultValue = ".blvm-demo",
      description =
          "--demo: the home, a new or empty directory or one an earlier demo made (then only"
              + " what that demo laid out is replaced; default ${DEFAULT-VALUE}, or"
              + " /var/lib/blvm-demo as root when the sandboxes could not enter the default).")
  Path home;

  @Option(
      names = "--blocks",
      paramLabel = "N",
      defaultValue = "0",
      description =
          "--demo: stop once N blocks were published and every module reported them, print a"
              + " summary, exit 0 if none was missed (0-1000; 0: run until Ctrl-C).")
  int blocks;

  @Option(
      names = "--modules",
      paramLabel = "N",
      defaultValue = "2",
      description = "--demo: how many example modules to run (1-8, default ${DEFAULT-VALUE}).")
  int moduleCount;

  @Option(
      names = "--module-jar",
      paramLabel = "JAR",
      description = "--demo: the example module's jar (bin/blvm-node passes it).")
  Path moduleJar;

  @Option(
      names = "--lightning-module",
      paramLabel = "DIR",
      description =
          "--demo: the built blvm-lightning module directory, its manifest and jar (bin/blvm-node"
              + " passes it); without it the demo runs the example modules only.")
  Path lightningModule;

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
  public Integer call() throws Exception {
    CommandLine cl = spec.commandLine();
    if (!demo) {
      throw new CommandLine.ParameterException(cl, "a command is required: run (or --demo)");
    }
    if (moduleCount < 1 || moduleCount > 8 || blocks < 0 || blocks > 1000) {
      throw new CommandLine.ParameterException(cl, "--modules must be 1-8 and --blocks 0-1000");
    }
    if (moduleJar == null || !Files.isRegularFile(moduleJar)) {
      throw new CommandLine.ParameterException(
          cl, "--module-jar must name the example module's jar (bin/blvm-node --demo passes it)");
    }
    if (lightningModule != null && !Files.isRegularFile(lightningModule.resolve("module.toml"))) {
      throw new CommandLine.ParameterException(
          cl, "--lightning-module must name the built blvm-lightning directory (with module.toml)");
    }
    boolean homeGiven = cl.getParseResult().hasMatchedOption("--home");
    return Demo.run(
        home, homeGiven, moduleCount, blocks, moduleJar, lightningModule, cl.getOut(), cl.getErr());
  }
}
