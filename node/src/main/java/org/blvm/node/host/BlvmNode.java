package org.blvm.node.host;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
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
      "0:stopped cleanly (SIGINT, SIGTERM); --demo --blocks: each module did its work",
      "1:could not start (bad policy, config, directory or socket); --demo: a module did not",
      "2:wrong command line",
      "70:internal error"
    })
public final class BlvmNode implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(
      names = "--demo",
      description =
          "Lay out a demo home (a dev key, a policy, a node config, the four modules signed with"
              + " the key) and run the node on it with a webhook receiver and a Stratum V2 miner;"
              + " shows what each module does.")
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
          "--demo: stop once N blocks were published and each module did its work (at most 40 s"
              + " more), print the summary, exit 0 if each did (0-1000; 0: run until Ctrl-C).")
  int blocks;

  @Option(
      names = "--module-jar",
      paramLabel = "JAR",
      description =
          "--demo: the example module's jar, run as mesh-probe (bin/blvm-node passes it).")
  Path moduleJar;

  @Option(
      names = "--built-modules",
      paramLabel = "DIR",
      description =
          "--demo: the checkout's modules/ directory, where each of the four modules was built"
              + " into NAME/target/module (bin/blvm-node passes it).")
  Path builtModules;

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
    if (blocks < 0 || blocks > 1000) {
      throw new CommandLine.ParameterException(cl, "--blocks must be 0-1000");
    }
    if (moduleJar == null || !Files.isRegularFile(moduleJar)) {
      throw new CommandLine.ParameterException(
          cl, "--module-jar must name the example module's jar (bin/blvm-node --demo passes it)");
    }
    if (builtModules == null) {
      throw new CommandLine.ParameterException(
          cl, "--built-modules must name the checkout's modules/ (bin/blvm-node --demo passes it)");
    }
    DemoLayout.Built built = DemoLayout.Built.fromCheckout(builtModules, moduleJar);
    for (Path dir : List.of(built.governance(), built.stratum(), built.mesh(), built.lightning())) {
      if (!Files.isRegularFile(dir.resolve("module.toml"))) {
        throw new CommandLine.ParameterException(
            cl, "no built module in " + dir + " (bin/blvm-node --demo builds it)");
      }
    }
    boolean homeGiven = cl.getParseResult().hasMatchedOption("--home");
    return Demo.run(home, homeGiven, blocks, built, cl.getOut(), cl.getErr());
  }
}
