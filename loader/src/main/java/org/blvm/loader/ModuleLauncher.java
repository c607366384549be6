package org.blvm.loader;

import java.io.IOException;

/**
 * Starts module processes. The sandbox plugs in here: a launcher decides how a module is confined
 * and how its peers are recognised. {@link #plainProcesses()} runs modules as ordinary child
 * processes, for development and tests until the sandbox launcher lands.
 */
public interface ModuleLauncher {
  /** Starts the process described by {@code spec}. */
  LaunchedProcess launch(LaunchSpec spec) throws IOException;

  /**
   * What keeps this launcher from starting modules, one line per missing piece with what to install
   * or enable; empty when it can launch. The manager logs these at start.
   */
  default java.util.List<String> problems() {
    return java.util.List.of();
  }

  /**
   * How a module this launcher starts is confined, as its security exposure reports it
   * (docs/security-score.md). A launcher that does not say is {@code UNKNOWN}.
   */
  default org.blvm.policy.ExposureFacts.Isolation isolation(String moduleId) {
    return org.blvm.policy.ExposureFacts.Isolation.UNKNOWN;
  }

  /**
   * A class-data-sharing archive that module {@code moduleId}'s JVM running {@code jar} (a verified
   * jar in the admission store) with {@code javaExecutable} may map, when this launcher keeps one
   * and it is ready and checked; empty otherwise (the JVM then uses only the JDK's own archive).
   */
  default java.util.Optional<java.nio.file.Path> classDataArchive(
      String moduleId, java.nio.file.Path javaExecutable, java.nio.file.Path jar) {
    return java.util.Optional.empty();
  }

  /**
   * After the hello of JVM module {@code moduleId} (its connection started): whether its JVM,
   * process {@code pid}, mapped the {@code archive} this launcher gave it, if any (one it ignored
   * is reported and rebuilt), empty when none was given or that cannot be told; an archive build
   * the launch asked for starts now.
   */
  default java.util.Optional<Boolean> classDataLaunchEnded(
      String moduleId, java.util.Optional<java.nio.file.Path> archive, long pid) {
    return java.util.Optional.empty();
  }

  /** Unconfined child processes; peers are recognised by process ancestry. */
  static ModuleLauncher plainProcesses() {
    return new PlainProcessLauncher();
  }
}
