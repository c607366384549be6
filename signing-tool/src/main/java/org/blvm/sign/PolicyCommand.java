package org.blvm.sign;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code blvm-loader policy}: policy file tools. */
@Command(
    name = "policy",
    mixinStandardHelpOptions = true,
    description = "Policy files: check one, or make the running node reload its own.",
    subcommands = {PolicyCheckCommand.class, PolicyReloadCommand.class})
final class PolicyCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(
        spec.commandLine(), "a command is required: check, reload");
  }
}
