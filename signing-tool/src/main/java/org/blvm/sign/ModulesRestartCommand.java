package org.blvm.sign;

import picocli.CommandLine.Command;

/** {@code blvm-loader modules restart NAME}. */
@Command(
    name = "restart",
    mixinStandardHelpOptions = true,
    header = "Stops a module and starts it again.",
    description =
        "Stops the module gracefully if it runs and starts it again, admitted again under the current policy (new limits apply); waits until it is STARTED or has failed.")
final class ModulesRestartCommand extends ModuleOperationCommand {
  @Override
  String command() {
    return "modules.restart";
  }

  @Override
  String wanted() {
    return "STARTED";
  }
}
