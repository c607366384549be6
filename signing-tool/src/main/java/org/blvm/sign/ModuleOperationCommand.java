package org.blvm.sign;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import picocli.CommandLine.Parameters;

/**
 * A command that moves one module ({@code start}, {@code stop}, {@code restart}, {@code unload}):
 * the node answers once the module reached its final state, which is printed; the exit code is 0
 * when that is the state asked for, 1 otherwise.
 */
abstract class ModuleOperationCommand extends NodeCommand {
  @Parameters(paramLabel = "NAME", description = "The module.")
  String module;

  /** The state the operation is meant to reach. */
  abstract String wanted();

  @Override
  ObjectNode arguments() {
    return JSON.objectNode().put("module", module);
  }

  @Override
  int print(JsonNode result, PrintWriter out) {
    String state = result.path("state").asText();
    String detail = result.path("detail").isTextual() ? result.path("detail").asText() : null;
    out.println(
        result.path("module").asText()
            + ": "
            + state
            + (detail == null ? "" : " (" + detail + ")"));
    return exitCode(result);
  }

  @Override
  int exitCode(JsonNode result) {
    return wanted().equals(result.path("state").asText()) ? ExitCodes.OK : ExitCodes.REFUSED;
  }
}
