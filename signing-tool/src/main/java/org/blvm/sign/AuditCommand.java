package org.blvm.sign;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code blvm-loader audit [--module NAME] [-f]}: the node's audit log. */
@Command(
    name = "audit",
    mixinStandardHelpOptions = true,
    header = "Prints the node's audit log.",
    description = {
      "Prints the last records of the node's audit log (every permission decision: time, module,"
          + " method, capability, decision), of one module with --module; with -f, then every new"
          + " record until Ctrl-C."
    })
final class AuditCommand extends NodeCommand {
  @Option(names = "--module", paramLabel = "NAME", description = "Only this module's records.")
  String module;

  @Mixin TailOptions tail;

  @Override
  String command() {
    return "audit";
  }

  @Override
  ObjectNode arguments() {
    ObjectNode a = tail.into(JSON.objectNode());
    if (module != null) {
      a.put("module", module);
    }
    return a;
  }

  @Override
  boolean streams() {
    return true;
  }

  @Override
  void printEvent(JsonNode r, PrintWriter out) {
    if (r.has("decision")) {
      out.println(
          String.join(
                  "  ",
                  r.path("time").asText(),
                  r.path("module").asText(),
                  r.path("decision").asText(),
                  r.path("method").asText(),
                  r.path("capability").isNull() ? "-" : r.path("capability").asText())
              + (r.has("count") ? "  x" + r.path("count").asText() : ""));
    } else {
      out.println(r.has("line") ? r.path("line").asText() : line(r));
    }
  }

  @Override
  int print(JsonNode result, PrintWriter out) {
    return ExitCodes.OK;
  }
}
