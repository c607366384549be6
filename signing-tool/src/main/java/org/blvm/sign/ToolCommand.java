package org.blvm.sign;

import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;

/**
 * A command that only groups subcommands ({@code blvm-sign}, {@code blvm-loader}, {@code
 * blvm-loader policy}): run on its own it is a usage error naming the subcommands.
 */
abstract class ToolCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public final void run() {
    List<String> names = new ArrayList<>(spec.subcommands().keySet());
    names.remove("help");
    throw new CommandLine.ParameterException(
        spec.commandLine(), "a command is required: " + String.join(", ", names));
  }
}
