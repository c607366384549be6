package org.blvm.sign;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code blvm-loader logs NAME [-f]}: a module's output log. */
@Command(
    name = "logs",
    mixinStandardHelpOptions = true,
    header = "Prints a module's output log.",
    description = {
      "Prints the last lines of a module's output log (what its process wrote to stdout and"
          + " stderr); with -f, then every new line until Ctrl-C."
    })
final class LogsCommand extends NodeCommand {
  @Parameters(paramLabel = "NAME", description = "The module.")
  String module;

  @Mixin TailOptions tail;

  @Override
  String command() {
    return "logs";
  }

  @Override
  ObjectNode arguments() {
    return tail.into(JSON.objectNode().put("module", module));
  }

  @Override
  boolean streams() {
    return true;
  }

  @Override
  void printEvent(JsonNode event, PrintWriter out) {
    out.println(event.path("line").asText());
  }

  @Override
  int print(JsonNode result, PrintWriter out) {
    return ExitCodes.OK;
  }
}
