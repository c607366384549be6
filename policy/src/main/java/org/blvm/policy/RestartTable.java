package org.blvm.policy;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/** A module section's {@code restart} table: each written key over {@code base}'s. */
final class RestartTable {
  private static final Set<String> KEYS =
      new TreeSet<>(
          List.of(
              "mode", "max_restarts", "window_seconds", "backoff_initial_ms", "backoff_max_ms"));

  private RestartTable() {}

  static RestartRule parse(PolicyProblems p, JsonNode n, RestartRule base, String at) {
    JsonNode rn = n.get("restart");
    if (rn == null) {
      return base;
    }
    if (!rn.isObject()) {
      p.add(at + ".restart", "must be a table");
      return base;
    }
    String r = at + ".restart";
    p.unknownKeys(rn, r, KEYS);
    RestartRule b = base;
    RestartRule restart =
        new RestartRule(
            p.choice(rn, "mode", r + ".mode", RestartRule.Mode.class, b.mode()),
            p.integer(rn, "max_restarts", r + ".max_restarts", 0, 1000, b.maxRestarts()),
            p.integer(rn, "window_seconds", r + ".window_seconds", 1, 604_800, b.windowSeconds()),
            p.integer(
                rn,
                "backoff_initial_ms",
                r + ".backoff_initial_ms",
                10,
                3_600_000,
                b.backoffInitialMs()),
            p.integer(
                rn, "backoff_max_ms", r + ".backoff_max_ms", 10, 3_600_000, b.backoffMaxMs()));
    if (restart.backoffMaxMs() < restart.backoffInitialMs()) {
      p.add(
          r + ".backoff_max_ms",
          "must be >= backoff_initial_ms ("
              + restart.backoffInitialMs()
              + "), found "
              + restart.backoffMaxMs());
    }
    return restart;
  }
}
