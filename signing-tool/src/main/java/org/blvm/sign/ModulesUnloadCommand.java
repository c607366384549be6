package org.blvm.sign;

import picocli.CommandLine.Command;

/** {@code blvm-loader modules unload NAME}. */
@Command(
    name = "unload",
    mixinStandardHelpOptions = true,
    header = "Stops a module and forgets it.",
    description =
        "Stops the module if it runs and forgets it; its data directory stays, and modules start brings it back.")
final class ModulesUnloadCommand extends ModuleOperationCommand {
  @Override
  String command() {
    return "modules.unload";
  }

  @Override
  String wanted() {
    return "UNLOADED";
  }
}
