package org.blvm.sign;

import picocli.CommandLine.Command;

/** {@code blvm-loader modules}: the modules of a running node. */
@Command(
    name = "modules",
    mixinStandardHelpOptions = true,
    header = "Lists, inspects, starts and stops the modules of a running node.",
    description = "Lists, inspects, starts and stops the modules of a running node.",
    subcommands = {
      ModulesListCommand.class,
      ModulesStatusCommand.class,
      ModulesStartCommand.class,
      ModulesStopCommand.class,
      ModulesRestartCommand.class,
      ModulesUpgradeCommand.class,
      ModulesRollbackCommand.class,
      ModulesUnloadCommand.class
    })
final class ModulesCommand extends ToolCommand {}
