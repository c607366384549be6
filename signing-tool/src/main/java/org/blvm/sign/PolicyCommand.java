package org.blvm.sign;

import picocli.CommandLine.Command;

/** {@code blvm-loader policy}: check a policy file, or make the running node reload its own. */
@Command(
    name = "policy",
    mixinStandardHelpOptions = true,
    header = "Checks policy files; makes the running node reload its own.",
    description = "Policy files: check one, or make the running node reload its own.",
    subcommands = {PolicyCheckCommand.class, PolicyReloadCommand.class})
final class PolicyCommand extends ToolCommand {}
