package org.blvm.sign;

import picocli.CommandLine.Command;

/** {@code blvm-loader config}: the running node's node config. */
@Command(
    name = "config",
    mixinStandardHelpOptions = true,
    header = "Makes the running node reload its node config.",
    description = "The running node's node config.",
    subcommands = {ConfigReloadCommand.class})
final class ConfigCommand extends ToolCommand {}
