package org.blvm.policy;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/** A module section's {@code rate_limit} table over {@code base}; 0 requests/s: unlimited. */
final class RateLimitTable {
  private static final Set<String> KEYS = new TreeSet<>(List.of("requests_per_second", "burst"));

  private RateLimitTable() {}

  static RateLimit parse(PolicyProblems p, JsonNode n, RateLimit base, String at) {
    JsonNode rl = n.get("rate_limit");
    if (rl == null) {
      return base;
    }
    if (!rl.isObject()) {
      p.add(at + ".rate_limit", "must be a table");
      return base;
    }
    String r = at + ".rate_limit";
    p.unknownKeys(rl, r, KEYS);
    int rps =
        p.integer(
            rl,
            "requests_per_second",
            r + ".requests_per_second",
            0,
            1_000_000,
            base.requestsPerSecond());
    int burst = p.integer(rl, "burst", r + ".burst", 1, 1_000_000, Math.max(1, base.burst()));
    return rps == 0 ? RateLimit.UNLIMITED : new RateLimit(rps, burst);
  }
}
