package org.blvm.node;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;

/** Settings and chains for tests: a fixed start time, TOML overrides of the defaults. */
final class Sims {
  /** 2026-01-01T00:00:00Z. */
  static final long START = 1_767_225_600L;

  static final Clock CLOCK = Clock.fixed(Instant.ofEpochSecond(START), ZoneOffset.UTC);

  private Sims() {}

  /** The defaults with {@code start_time} fixed and the given {@code key = value} lines. */
  static SimulationSettings settings(String... lines) {
    StringBuilder toml = new StringBuilder("[simulation]\nstart_time = " + START + "\n");
    for (String l : lines) {
      toml.append(l).append('\n');
    }
    try {
      return SimulationSettings.parse("test", toml.toString());
    } catch (SimulationConfigException e) {
      throw new AssertionError(e);
    }
  }

  static SimulatedChain chain(String... lines) {
    return new SimulatedChain(settings(lines), CLOCK);
  }
}
