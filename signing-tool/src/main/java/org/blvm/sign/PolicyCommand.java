package org.blvm.sign;

import picocli.CommandLine.Command;

/** {@code blvm-loader policy}: policy file tools. */
@Command(
    name = "policy",
    mixinStandardHelpOptions = true,
    header = "Checks policy files.",
    description = "Policy file tools.",
    subcommands = {PolicyCheckCommand.class})
final class PolicyCommand extends ToolCommand {}
