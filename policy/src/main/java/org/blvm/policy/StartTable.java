package org.blvm.policy;

import com.fasterxml.jackson.databind.JsonNode;

/** A module section's {@code start} and {@code idle_seconds} keys over {@code base}. */
final class StartTable {
  private StartTable() {}

  static StartRule parse(PolicyProblems p, JsonNode n, StartRule base, String at) {
    return new StartRule(
        p.choice(n, "start", at + ".start", StartRule.Mode.class, base.mode()),
        p.integer(
            n,
            "idle_seconds",
            at + ".idle_seconds",
            1,
            StartRule.MAX_IDLE_SECONDS,
            base.idleSeconds()));
  }
}
