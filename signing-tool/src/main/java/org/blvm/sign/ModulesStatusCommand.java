package org.blvm.sign;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code blvm-loader modules status NAME}: everything the node knows about one module. */
@Command(
    name = "status",
    mixinStandardHelpOptions = true,
    header = "Shows everything the node knows about a module.",
    description = {
      "Shows one module: state, pid, uptime, version, the keys that signed it, its capabilities,"
          + " limits, restarts, how its last process ended, its queue, calls and denials."
    })
final class ModulesStatusCommand extends NodeCommand {
  @Parameters(paramLabel = "NAME", description = "The module.")
  String module;

  @Override
  String command() {
    return "modules.status";
  }

  @Override
  ObjectNode arguments() {
    return JSON.objectNode().put("module", module);
  }

  @Override
  int print(JsonNode s, PrintWriter out) {
    List<String[]> rows = new ArrayList<>();
    rows.add(row("name", s.path("name").asText()));
    rows.add(row("version", text(s.path("version"))));
    String state = s.path("state").asText() + " since " + s.path("since").asText();
    rows.add(row("state", state));
    if (s.path("detail").isTextual()) {
      rows.add(row("detail", s.path("detail").asText()));
    }
    rows.add(row("pid", text(s.path("pid"))));
    rows.add(
        row(
            "uptime",
            s.path("uptime_seconds").isNumber()
                ? duration(s.path("uptime_seconds").asLong())
                : "-"));
    rows.add(
        row(
            "signed by",
            s.path("unsigned").asBoolean()
                ? "UNSIGNED (allow_unsigned)"
                : join(s.path("signers"))));
    rows.add(row("capabilities", join(s.path("capabilities"))));
    rows.add(row("depends on", edges(s.path("depends_on"))));
    rows.add(row("required by", edges(s.path("required_by"))));
    if (s.path("dropped_capabilities").size() > 0) {
      rows.add(row("dropped", join(s.path("dropped_capabilities"))));
    }
    JsonNode p = s.path("policy");
    if (p.isObject()) {
      rows.add(row("policy section", p.path("section").asText()));
      rows.add(row("policy limits", limits(p.path("limits"))));
      rows.add(
          row(
              "rate limit",
              p.path("rate_limit").path("requests_per_second").asLong() == 0
                  ? "none"
                  : p.path("rate_limit").path("requests_per_second").asText()
                      + "/s, burst "
                      + p.path("rate_limit").path("burst").asText()));
      rows.add(
          row(
              "restart rule",
              p.path("restart").path("mode").asText()
                  + ", at most "
                  + p.path("restart").path("max_restarts").asText()
                  + " in "
                  + p.path("restart").path("window_seconds").asText()
                  + " s"));
    }
    JsonNode sb = s.path("sandbox");
    if (sb.isObject()) {
      rows.add(
          row(
              "sandbox",
              "profile "
                  + sb.path("profile").asText()
                  + (sb.path("network").asBoolean() ? ", network" : ", no network")
                  + "; "
                  + kernelLimits(sb.path("limits"))
                  + (sb.path("from_policy").isEmpty()
                      ? " (all loader defaults)"
                      : " (from the policy: " + join(sb.path("from_policy")) + ")")));
    }
    rows.add(row("restarts", s.path("restarts").asText()));
    JsonNode exit = s.path("last_exit");
    rows.add(
        row(
            "last exit",
            exit.isObject()
                ? exit.path("state").asText()
                    + " at "
                    + exit.path("time").asText()
                    + " ("
                    + exit.path("detail").asText()
                    + ")"
                : "-"));
    rows.add(row("queue", s.path("queued_frames").asText() + " frames"));
    rows.add(
        row(
            "calls",
            s.path("calls").asText()
                + " (denied "
                + s.path("denied").asText()
                + ", rate-limited "
                + s.path("rate_limited").asText()
                + ")"));
    rows.add(
        row(
            "events",
            "dropped "
                + s.path("dropped_events").asText()
                + ", queue overflows "
                + s.path("queue_overflows").asText()
                + ", protocol errors "
                + s.path("protocol_errors").asText()));
    rows.add(row("subscriptions", join(s.path("subscriptions"))));
    rows.add(row("serves", join(s.path("serves"))));
    for (String[] r : rows) {
      out.println(String.format("%-16s %s", r[0] + ":", r[1]));
    }
    return ExitCodes.OK;
  }

  private static String[] row(String k, String v) {
    return new String[] {k, v};
  }

  private static String text(JsonNode n) {
    return n.isNull() || n.isMissingNode() ? "-" : n.asText();
  }

  private static String join(JsonNode array) {
    List<String> l = new ArrayList<>();
    array.forEach(e -> l.add(e.asText()));
    return l.isEmpty() ? "-" : String.join(", ", l);
  }

  private static String limits(JsonNode limits) {
    List<String> l = new ArrayList<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = limits.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      l.add(e.getKey() + "=" + (e.getValue().isNull() ? "loader default" : e.getValue().asText()));
    }
    return String.join(", ", l);
  }

  private static String kernelLimits(JsonNode l) {
    List<String> out = new ArrayList<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = l.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      out.add(e.getKey() + "=" + (e.getValue().isNull() ? "unlimited" : e.getValue().asText()));
    }
    return String.join(", ", out);
  }

  /** {@code 3725} → {@code 1h02m05s}. */
  static String duration(long seconds) {
    long h = seconds / 3600;
    long m = seconds / 60 % 60;
    long sec = seconds % 60;
    if (h > 0) {
      return String.format("%dh%02dm%02ds", h, m, sec);
    }
    return m > 0 ? String.format("%dm%02ds", m, sec) : sec + "s";
  }

  /** {@code base >=1.0.0 (STARTED 1.2.0), mesh >=0.1.0 optional (not loaded)}, or {@code -}. */
  private static String edges(JsonNode list) {
    List<String> out = new ArrayList<>();
    for (JsonNode e : list) {
      String state =
          e.path("state").isTextual()
              ? e.path("state").asText()
                  + (e.path("version").isTextual() ? " " + e.path("version").asText() : "")
              : "not loaded";
      out.add(
          e.path("module").asText()
              + " "
              + e.path("range").asText()
              + (e.path("optional").asBoolean() ? " optional" : "")
              + " ("
              + state
              + ")");
    }
    return out.isEmpty() ? "-" : String.join(", ", out);
  }
}
