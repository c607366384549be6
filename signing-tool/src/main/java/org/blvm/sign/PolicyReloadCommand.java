package org.blvm.sign;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;

/** {@code blvm-loader policy reload}: the running node re-reads its policy file. */
@Command(
    name = "reload",
    mixinStandardHelpOptions = true,
    header = "Makes the running node reload its policy.",
    description = {
      "Makes the running node re-read and validate its policy file and apply it: running modules"
          + " it no longer admits are stopped with the reason, narrowed capabilities take effect"
          + " at once, the rest at each module's next start (docs/policy.md).",
      "A file with problems is refused as a whole (every problem is printed; exit 1) and nothing"
          + " changes."
    })
final class PolicyReloadCommand extends NodeCommand {
  @Override
  String command() {
    return "policy.reload";
  }

  @Override
  int print(JsonNode r, PrintWriter out) {
    out.println("policy " + r.path("source").asText() + " applied");
    for (JsonNode s : r.path("stopped")) {
      out.println(
          "  stopped "
              + s.path("module").asText()
              + " ("
              + s.path("state").asText()
              + "): "
              + s.path("reason").asText());
    }
    for (JsonNode n : r.path("narrowed")) {
      List<String> removed = new ArrayList<>();
      n.path("removed").forEach(c -> removed.add(c.asText()));
      out.println(
          "  narrowed " + n.path("module").asText() + ": no longer " + String.join(", ", removed));
    }
    if (r.path("stopped").isEmpty() && r.path("narrowed").isEmpty()) {
      out.println("  every running module keeps running as it was");
    }
    return ExitCodes.OK;
  }
}
