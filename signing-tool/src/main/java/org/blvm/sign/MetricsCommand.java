package org.blvm.sign;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code blvm-loader metrics}: the node's metrics in the Prometheus text format. */
@Command(
    name = "metrics",
    mixinStandardHelpOptions = true,
    header = "Prints the running node's metrics in the Prometheus text format.",
    description = {
      "Prints the running node's metrics in the Prometheus text format: the loader's per-module",
      "metrics (blvm_loader_*) and what modules reported (blvm_module_*); see docs/metrics.md."
    })
final class MetricsCommand extends NodeCommand {
  @Parameters(arity = "0..1", paramLabel = "NAME", description = "Only this module's series.")
  String module;

  @Override
  String command() {
    return "metrics";
  }

  @Override
  ObjectNode arguments() {
    ObjectNode a = JSON.objectNode();
    if (module != null) {
      a.put("module", module);
    }
    return a;
  }

  @Override
  int print(JsonNode result, PrintWriter out) {
    out.print(result.path("text").asText());
    return ExitCodes.OK;
  }
}
