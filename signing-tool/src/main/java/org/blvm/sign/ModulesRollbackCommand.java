package org.blvm.sign;

import picocli.CommandLine.Command;

/** {@code blvm-loader modules rollback NAME}. */
@Command(
    name = "rollback",
    mixinStandardHelpOptions = true,
    header = "Returns a module to the version that ran before its last upgrade.",
    description =
        "Returns the module to the version that ran just before its last successful upgrade: that version's pinned copy in the loader's store (not the module directory), admitted again under the policy in force (signatures, threshold, capabilities, data_version). The version ratchet allows this one step back; a second rollback is refused. If that version does not reach STARTED within its connect deadline and 10 s more, the version that ran is started again. Prints NAME: ROLLED_BACK FROM -> TO, or KEPT or REFUSED with the reason; exit code 0 only when rolled back.")
final class ModulesRollbackCommand extends ModulesUpgradeCommand {
  @Override
  String command() {
    return "modules.rollback";
  }

  @Override
  String wanted() {
    return "ROLLED_BACK";
  }
}
