package org.blvm.policy;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Set;
import java.util.TreeSet;

/** A module section's {@code limits} table: each written limit over {@code base}'s. */
final class LimitsTable {
  private static final Set<String> KEYS = new TreeSet<>(ModulePolicy.LIMIT_KEYS);

  private LimitsTable() {}

  static LimitSettings parse(PolicyProblems p, JsonNode n, LimitSettings base, String at) {
    JsonNode ln = n.get("limits");
    if (ln == null) {
      return base;
    }
    if (!ln.isObject()) {
      p.add(at + ".limits", "must be a table");
      return base;
    }
    String l = at + ".limits";
    p.unknownKeys(ln, l, KEYS);
    LimitSettings b = base;
    return new LimitSettings(
        p.optionalInt(ln, "memory_mb", l + ".memory_mb", 16, 1 << 20, b.memoryMb()),
        p.optionalInt(ln, "cpu_seconds", l + ".cpu_seconds", 0, 31_536_000, b.cpuSeconds()),
        p.optionalInt(ln, "open_files", l + ".open_files", 16, 1 << 20, b.openFiles()),
        p.optionalInt(ln, "processes", l + ".processes", 1, 65_536, b.processes()),
        p.optionalInt(ln, "disk_mb", l + ".disk_mb", 1, 1 << 24, b.diskMb()),
        p.optionalInt(ln, "data_mb", l + ".data_mb", 1, 1 << 24, b.dataMb()),
        p.optionalInt(
            ln, "data_files", l + ".data_files", 1, Policy.MAX_DATA_FILES, b.dataFiles()));
  }
}
