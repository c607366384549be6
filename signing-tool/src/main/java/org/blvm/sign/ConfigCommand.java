package org.blvm.sign;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code blvm-loader config}: the running node's node config. */
@Command(
    name = "config",
    mixinStandardHelpOptions = true,
    description = "The running node's node config.",
    subcommands = {ConfigReloadCommand.class})
final class ConfigCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "a command is required: reload");
  }
}
