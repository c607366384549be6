package org.blvm.sign;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code blvm-loader modules}: the modules of a running node. */
@Command(
    name = "modules",
    mixinStandardHelpOptions = true,
    description = "Lists, inspects, starts and stops the modules of a running node.",
    subcommands = {ModulesListCommand.class})
final class ModulesCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(
        spec.commandLine(),
        "a command is required: " + String.join(", ", spec.subcommands().keySet()));
  }
}
