package org.blvm.sign;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import picocli.CommandLine.Command;

/** {@code blvm-loader modules upgrade NAME}; {@link ModulesRollbackCommand} prints alike. */
@Command(
    name = "upgrade",
    mixinStandardHelpOptions = true,
    header = "Upgrades a module to the version in its directory.",
    description =
        "Admits the version in the module's directory as a whole (signatures, pins, version ratchet, capabilities), stops the running version and starts the new one; if it does not reach STARTED within its connect deadline and 10 s more, the previous version is started again. Prints NAME: UPGRADED FROM -> TO, or ROLLED_BACK, REFUSED or UNCHANGED with the reason; exit code 0 only when upgraded.")
class ModulesUpgradeCommand extends ModuleOperationCommand {
  @Override
  String command() {
    return "modules.upgrade";
  }

  @Override
  String wanted() {
    return "UPGRADED";
  }

  @Override
  int print(JsonNode result, PrintWriter out) {
    String outcome = result.path("outcome").asText();
    String to = result.path("to").isTextual() ? result.path("to").asText() : "?";
    out.println(
        result.path("module").asText()
            + ": "
            + outcome
            + " "
            + result.path("from").asText()
            + " -> "
            + to
            + " ("
            + result.path("state").asText()
            + ")"
            + (result.path("reason").isTextual() ? ": " + result.path("reason").asText() : ""));
    return exitCode(result);
  }

  @Override
  int exitCode(JsonNode result) {
    return wanted().equals(result.path("outcome").asText()) ? ExitCodes.OK : ExitCodes.REFUSED;
  }
}
