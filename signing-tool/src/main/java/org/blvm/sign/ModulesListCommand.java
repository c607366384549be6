package org.blvm.sign;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;

/** {@code blvm-loader modules list}: every module of the node and its state. */
@Command(
    name = "list",
    mixinStandardHelpOptions = true,
    header = "Lists the modules of the running node.",
    description = "Lists every module the node knows: name, state, pid, version, why it stopped.")
final class ModulesListCommand extends NodeCommand {
  @Override
  String command() {
    return "modules.list";
  }

  @Override
  int print(JsonNode result, PrintWriter out) {
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"NAME", "STATE", "PID", "VERSION", "DETAIL"});
    for (JsonNode m : result.path("modules")) {
      rows.add(
          new String[] {
            m.path("name").asText(),
            m.path("state").asText(),
            m.path("pid").isNumber() ? m.path("pid").asText() : "-",
            m.path("version").isTextual() ? m.path("version").asText() : "-",
            m.path("detail").isTextual() ? m.path("detail").asText() : ""
          });
    }
    if (rows.size() == 1) {
      out.println("no modules");
      return ExitCodes.OK;
    }
    Table.print(rows, out);
    return ExitCodes.OK;
  }
}
