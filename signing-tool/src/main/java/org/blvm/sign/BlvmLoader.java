package org.blvm.sign;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code blvm-loader}: operator commands that need no running node. Today: {@code policy check}. It
 * lives beside blvm-sign because it only uses org.blvm.policy (no loader, no processes); the node's
 * own command line can mount the same {@link PolicyCommand}.
 */
@Command(
    name = "blvm-loader",
    mixinStandardHelpOptions = true,
    version = "blvm-loader 0.1.0",
    description = "Operator tools for the blvm module loader.",
    subcommands = {PolicyCommand.class, CommandLine.HelpCommand.class},
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
      "0:policy valid and every module would be admitted",
      "1:policy has problems, or a module would be refused",
      "2:wrong command line",
      "3:bad input: missing or unreadable file",
      "70:internal error"
    })
public final class BlvmLoader extends ToolCommand {
  public static void main(String[] args) {
    Cli.main(new BlvmLoader(), args);
  }
}
