package org.blvm.loader;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The outcome of one attempt to (re)load the node config (docs/config.md).
 *
 * @param trigger what asked for the load
 * @param time when the attempt finished
 * @param generation how many loads have been applied so far, this one included when it was applied
 *     (1 after the load at start)
 * @param changedSections the top-level sections of the file that changed (entries under {@code
 *     modules} as {@code modules.<name>}); names only, never values. Empty when nothing changed or
 *     the attempt failed
 * @param error why the attempt failed (the old config stays in force), or null when it was applied
 */
public record ConfigReload(
    Trigger trigger, Instant time, long generation, List<String> changedSections, String error) {

  /** What asked for a (re)load. */
  public enum Trigger {
    /** {@link ModuleManager#start()}. */
    START,
    /** {@link ModuleManager#reloadConfig()}: the admin call. */
    ADMIN,
    /** The file (or the directory entry holding it) changed. */
    FILE_CHANGE,
    /** The node process received SIGHUP. */
    SIGHUP
  }

  public ConfigReload {
    Objects.requireNonNull(trigger, "trigger");
    Objects.requireNonNull(time, "time");
    changedSections = List.copyOf(changedSections);
  }

  /** True when the new config was applied; false when it was refused and the old one kept. */
  public boolean applied() {
    return error == null;
  }

  /** The failure, when the attempt was refused. */
  public Optional<String> failure() {
    return Optional.ofNullable(error);
  }
}
