package org.blvm.policy;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.OptionalInt;

/**
 * The resource limits the operator's policy sets for a module, key by key as written in its {@code
 * limits} table ({@code [defaults]} or {@code [modules.<name>]}). A key the policy does not write
 * is empty: the loader's own default applies to it. Ranges and meaning: docs/policy.md.
 *
 * @param memoryMb {@code memory_mb}
 * @param cpuSeconds {@code cpu_seconds}; 0 means no CPU-time limit
 * @param openFiles {@code open_files}
 * @param processes {@code processes}
 * @param diskMb {@code disk_mb}
 * @param dataMb {@code data_mb}: the total size of the module's data directory
 * @param dataFiles {@code data_files}: how many files, directories and links it may hold
 */
public record LimitSettings(
    OptionalInt memoryMb,
    OptionalInt cpuSeconds,
    OptionalInt openFiles,
    OptionalInt processes,
    OptionalInt diskMb,
    OptionalInt dataMb,
    OptionalInt dataFiles) {

  /** A policy that writes no limit. */
  public static final LimitSettings NONE =
      new LimitSettings(
          OptionalInt.empty(),
          OptionalInt.empty(),
          OptionalInt.empty(),
          OptionalInt.empty(),
          OptionalInt.empty(),
          OptionalInt.empty(),
          OptionalInt.empty());

  public LimitSettings {
    Objects.requireNonNull(memoryMb, "memoryMb");
    Objects.requireNonNull(cpuSeconds, "cpuSeconds");
    Objects.requireNonNull(openFiles, "openFiles");
    Objects.requireNonNull(processes, "processes");
    Objects.requireNonNull(diskMb, "diskMb");
    Objects.requireNonNull(dataMb, "dataMb");
    Objects.requireNonNull(dataFiles, "dataFiles");
  }

  /** The keys the policy writes, as in the file ({@code "limits.open_files"} …), in file order. */
  public List<String> writtenKeys() {
    List<String> keys = new ArrayList<>();
    OptionalInt[] values = {memoryMb, cpuSeconds, openFiles, processes, diskMb, dataMb, dataFiles};
    for (int i = 0; i < values.length; i++) {
      if (values[i].isPresent()) {
        keys.add("limits." + ModulePolicy.LIMIT_KEYS.get(i));
      }
    }
    return keys;
  }
}
