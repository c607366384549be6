package org.blvm.sign;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;

/** {@code blvm-loader config reload}: the running node re-reads its node config. */
@Command(
    name = "reload",
    mixinStandardHelpOptions = true,
    header = "Makes the running node reload its node config.",
    description = {
      "Makes the running node re-read its node config and send each subscribed module the"
          + " sections it may see that changed (docs/config.md).",
      "A broken file is refused (exit 1); the config in force stays and nothing is sent."
    })
final class ConfigReloadCommand extends NodeCommand {
  @Override
  String command() {
    return "config.reload";
  }

  @Override
  int print(JsonNode r, PrintWriter out) {
    List<String> changed = new ArrayList<>();
    r.path("changed_sections").forEach(c -> changed.add(c.asText()));
    out.println(
        "node config applied (generation "
            + r.path("generation").asText()
            + "); changed: "
            + (changed.isEmpty() ? "nothing" : String.join(", ", changed)));
    return ExitCodes.OK;
  }
}
