package org.blvm.loader;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.blvm.policy.Policy;
import org.blvm.protocol.Message;

/**
 * The checks {@link ModuleManagerBuilder#build()} runs over every setting, and the {@link
 * LoaderConfig} the valid settings assemble into.
 */
final class ManagerSettings {
  private ManagerSettings() {}

  /** Every problem of the builder's settings (empty when they are valid), in a stable order. */
  static List<String> problems(ModuleManagerBuilder<?> b) {
    List<String> problems = new ArrayList<>();
    if (b.modulesDir == null) {
      problems.add("modulesDir is required");
    }
    if (b.runtimeDir == null) {
      problems.add("runtimeDir is required");
    }
    if (b.admission == null) {
      problems.add("admission is required (the operator's policy decides what may run)");
    } else if (b.admission.stateDir().isEmpty()) {
      problems.add(
          "admission has no state directory: build it with Admission.builder().stateDir(DIR)"
              + " (admission copies each module's binary into DIR/store and records the versions"
              + " it accepted in DIR/versions; without one no module could be admitted)");
    }
    positive(problems, "helloTimeout", b.helloTimeout);
    positive(problems, "stopGrace", b.stopGrace);
    positive(problems, "callTimeout", b.callTimeout);
    positive(problems, "nodeConfigDebounce", b.nodeConfigDebounce);
    positive(problems, "networkTimeouts resolve", b.resolveTimeout);
    positive(problems, "networkTimeouts connect", b.connectTimeout);
    if (b.eventQueueFrames < 16) {
      problems.add("eventQueue frames must be >= 16, found " + b.eventQueueFrames);
    }
    if (b.eventQueueBytes < b.limits.maxFrameBytes()) {
      problems.add(
          "eventQueue bytes must be >= the max frame size "
              + b.limits.maxFrameBytes()
              + ", found "
              + b.eventQueueBytes);
    }
    if (b.auditMaxBytes < 4096 || b.auditKeep < 1 || b.auditKeep > 100) {
      problems.add(
          "auditLog needs maxBytes >= 4096 and keep in 1..100, found "
              + b.auditMaxBytes
              + " and "
              + b.auditKeep);
    }
    if (b.maxBadConnectionsPerMinute < 1) {
      problems.add(
          "maxBadConnectionsPerMinute must be >= 1, found " + b.maxBadConnectionsPerMinute);
    }
    if (b.maxModules < 1) {
      problems.add("maxModules must be >= 1, found " + b.maxModules);
    }
    if (b.moduleHeapMb < 16) {
      problems.add("moduleHeapMb must be >= 16, found " + b.moduleHeapMb);
    }
    if (b.dataMb < 1
        || b.dataMb > 1 << 24
        || b.dataFiles < 1
        || b.dataFiles > Policy.MAX_DATA_FILES) {
      problems.add(
          "dataLimits needs mb in 1..16777216 and files in 1.."
              + Policy.MAX_DATA_FILES
              + ", found "
              + b.dataMb
              + " and "
              + b.dataFiles);
    }
    if (b.dataUsageInterval == null
        || b.dataUsageInterval.toMillis() < 100
        || b.dataUsageInterval.compareTo(Duration.ofHours(1)) > 0
        || b.dataUsageBudget < 100) {
      problems.add(
          "dataUsage needs an interval from 100 ms to 1 h and at least 100 entries per pass, found "
              + b.dataUsageInterval
              + " and "
              + b.dataUsageBudget);
    }
    b.interpreters.forEach(
        (r, p) -> {
          if (!p.isAbsolute()) {
            problems.add(
                "interpreter for " + r.wireName() + " must be an absolute path, found " + p);
          }
        });
    return problems;
  }

  /** The loader's settings from valid builder settings (paths made absolute, defaults filled). */
  static LoaderConfig config(ModuleManagerBuilder<?> b) {
    Path runtime = b.runtimeDir.toAbsolutePath().normalize();
    return new LoaderConfig(
        b.modulesDir.toAbsolutePath().normalize(),
        runtime,
        b.dataDir == null ? runtime.resolve("data") : b.dataDir.toAbsolutePath().normalize(),
        b.helloTimeout.toMillis(),
        b.stopGrace.toMillis(),
        b.callTimeout.toMillis(),
        b.eventQueueFrames,
        b.eventQueueBytes,
        b.writerLinger.toNanos(),
        b.maxPendingInvokes,
        b.maxModules,
        b.javaExecutable,
        new LaunchDefaults(
            b.javaProfile,
            b.nativeProfile,
            b.javaLimits,
            b.nativeLimits,
            b.moduleHeapMb,
            LaunchDefaults.PROCESSORS,
            b.dataMb,
            b.dataFiles),
        b.auditLog == null ? runtime.resolve("audit.jsonl") : b.auditLog.toAbsolutePath(),
        b.maxBadConnectionsPerMinute,
        b.dataUsageInterval.toMillis(),
        b.dataUsageBudget,
        new Interpreters(b.interpreters));
  }

  private static void positive(List<String> problems, String name, Duration d) {
    if (d == null || d.isNegative() || d.isZero()) {
      problems.add(name + " must be positive, found " + d);
    }
  }

  static System.Logger.Level systemLevel(Message.LogLevel l) {
    switch (l) {
      case TRACE:
        return System.Logger.Level.TRACE;
      case DEBUG:
        return System.Logger.Level.DEBUG;
      case INFO:
        return System.Logger.Level.INFO;
      case WARN:
        return System.Logger.Level.WARNING;
      default:
        return System.Logger.Level.ERROR;
    }
  }
}
