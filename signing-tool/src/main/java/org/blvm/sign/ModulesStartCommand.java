package org.blvm.sign;

import picocli.CommandLine.Command;

/** {@code blvm-loader modules start NAME}. */
@Command(
    name = "start",
    mixinStandardHelpOptions = true,
    header = "Starts a module and waits until it runs.",
    description =
        "Starts a module that is not running (new, refused earlier, stopped or failed), admitted again under the current policy; waits until it is STARTED or has failed.")
final class ModulesStartCommand extends ModuleOperationCommand {
  @Override
  String command() {
    return "modules.start";
  }

  @Override
  String wanted() {
    return "STARTED";
  }
}
