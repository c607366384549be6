package org.blvm.sign;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code blvm-loader}: the operator's tool. {@code policy check}, {@code search} and {@code
 * install} need no node (they only use org.blvm.policy and the files); the other commands talk to a
 * running node over its admin socket (docs/admin.md) and never load the loader itself.
 */
@Command(
    name = "blvm-loader",
    mixinStandardHelpOptions = true,
    version = "blvm-loader 0.1.0",
    description = "Operator tools for the blvm module loader.",
    subcommands = {
      ModulesCommand.class,
      PolicyCommand.class,
      ConfigCommand.class,
      LogsCommand.class,
      AuditCommand.class,
      MetricsCommand.class,
      SecurityCommand.class,
      SearchCommand.class,
      InstallCommand.class,
      CommandLine.HelpCommand.class
    },
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
      "0:done: policy valid and every module would be admitted; the node did what was asked",
      "1:refused: policy problems or a module refused; an index or install refused; the node said"
          + " no (unknown module, wrong"
          + " state, invalid policy) or the module ended in another state",
      "2:wrong command line",
      "3:bad input: missing or unreadable file",
      "4:the node could not be reached: no socket, no permission, another uid, busy, no answer",
      "70:internal error"
    })
public final class BlvmLoader extends ToolCommand {
  public static void main(String[] args) {
    Cli.main(new BlvmLoader(), args);
  }
}
