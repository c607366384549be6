package org.blvm.sign;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import picocli.CommandLine.Command;

/** {@code blvm-loader metrics}: the node's metrics in the Prometheus text format. */
@Command(
    name = "metrics",
    mixinStandardHelpOptions = true,
    description = {
      "Prints the running node's metrics in the Prometheus text format: the loader's per-module",
      "metrics (blvm_loader_*) and what modules reported (blvm_module_*); see docs/metrics.md."
    })
final class MetricsCommand extends NodeCommand {
  @Override
  String command() {
    return "metrics";
  }

  @Override
  void printEvent(JsonNode event, PrintWriter out) {
    out.print(event.path("text").asText());
  }

  @Override
  int print(JsonNode result, PrintWriter out) {
    out.print(result.path("text").asText());
    return ExitCodes.OK;
  }
}
