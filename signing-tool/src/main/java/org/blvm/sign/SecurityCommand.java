package org.blvm.sign;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.blvm.policy.ExposureItem;
import org.blvm.policy.ExposureReport;
import org.blvm.policy.SecurityExposure;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code blvm-loader security [NAME]}: each running module's security exposure. */
@Command(
    name = "security",
    mixinStandardHelpOptions = true,
    header = "Prints the security exposure of the node's modules.",
    description = {
      "Prints the security exposure of one module, or of every module the node runs: each grant",
      "or setting that adds to it with its weight, what it allows and a fix, and the score from 0",
      "to 10, lower is better (docs/security-score.md)."
    })
final class SecurityCommand extends NodeCommand {
  @Parameters(arity = "0..1", paramLabel = "NAME", description = "The module (default: all).")
  String module;

  @Override
  String command() {
    return "security";
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
    if (result.path("modules").isEmpty()) {
      out.println("no running modules");
      return ExitCodes.OK;
    }
    for (JsonNode m : result.path("modules")) {
      List<ExposureReport.Finding> findings = new ArrayList<>();
      for (JsonNode i : m.path("items")) {
        String id = i.path("item").asText();
        ExposureItem item;
        try {
          item = ExposureItem.valueOf(id.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
          out.println("(an item this client does not know: " + i + ")");
          continue;
        }
        findings.add(new ExposureReport.Finding(item, i.path("detail").asText()));
      }
      List<String> notScored = new ArrayList<>();
      m.path("not_scored").forEach(n -> notScored.add(n.asText()));
      SecurityExposure.print(
          out,
          new ExposureReport(
              m.path("name").asText(), findings, m.path("score_tenths").asInt(), notScored),
          "");
    }
    return ExitCodes.OK;
  }
}
