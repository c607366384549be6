package org.blvm.loader;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import org.blvm.policy.Admission;
import org.blvm.policy.AdmissionException;
import org.blvm.policy.AdmittedModule;
import org.blvm.policy.DataVersions;
import org.blvm.policy.UpgradeJournal;

/**
 * Finds module directories ({@code <modules>/<name>/}, symlinks skipped, at most {@code
 * maxModules}) and admits each through the operator's {@link Admission}. No process is started
 * here.
 */
final class ModuleDiscovery {
  private static final System.Logger LOG = System.getLogger("blvm.loader");

  /**
   * An admission's outcome: the admitted module, or the FAILED status of a refused one; and the
   * admission (policy) that decided.
   */
  record Outcome(AdmittedModule admitted, ModuleStatus refused, Admission by) {}

  private final Path modulesDir;
  private final int maxModules;

  /** Replaced by a policy reload; every admission from then on uses the new one. */
  private volatile Admission admission;

  ModuleDiscovery(Path modulesDir, int maxModules, Admission admission) {
    this.modulesDir = modulesDir;
    this.maxModules = maxModules;
    this.admission = admission;
  }

  Admission admission() {
    return admission;
  }

  void admission(Admission next) {
    this.admission = next;
  }

  Path modulesDir() {
    return modulesDir;
  }

  /** Every module directory, sorted; more than {@code maxModules} is an error. */
  List<Path> moduleDirs() throws IOException {
    List<Path> dirs = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(modulesDir)) {
      for (Path d : ds) {
        if (Files.isDirectory(d, LinkOption.NOFOLLOW_LINKS)) {
          dirs.add(d);
        }
      }
    }
    dirs.sort(null);
    if (dirs.size() > maxModules) {
      throw new IOException(
          modulesDir
              + " holds "
              + dirs.size()
              + " module directories; at most "
              + maxModules
              + " are allowed");
    }
    return dirs;
  }

  /**
   * Admits the module in {@code dir}; a refusal is logged and returned as a FAILED status. When an
   * upgrade of the module was interrupted (the node was killed mid-way), the version that ran
   * before it is admitted instead, from its kept manifest and its stored files ({@link
   * UpgradeJournal}); only if that is refused is the directory admitted.
   */
  Outcome admit(Path dir) {
    Admission by = admission;
    UpgradeJournal journal = journal(by);
    if (journal == null) {
      return outcome(dir, by, () -> by.admit(dir));
    }
    Outcome restored = InterruptedUpgrades.restore(journal, dir, this, by);
    if (restored != null) {
      return restored;
    }
    Outcome o = outcome(dir, by, () -> by.admit(dir));
    if (o.admitted() != null) {
      InterruptedUpgrades.keep(journal, o.admitted(), dir, true);
    }
    return o;
  }

  /** The journal of upgrades in {@code by}'s state directory, or null without one. */
  static UpgradeJournal journal(Admission by) {
    return by.stateDir().map(UpgradeJournal::new).orElse(null);
  }

  /**
   * Admits a module admitted earlier again from its store copy ({@link Admission#readmit}), under
   * the policy in force; the module directory is not read.
   */
  Outcome readmit(AdmittedModule earlier, Path dir) {
    Admission by = admission;
    return outcome(dir, by, () -> by.readmit(earlier, dir));
  }

  /** One admission step of {@link Admission}, for {@link #outcome}. */
  interface Step {
    AdmittedModule run() throws AdmissionException;
  }

  /** Runs {@code step}; a refusal is logged and returned as a FAILED status. */
  Outcome outcome(Path dir, Admission by, Step step) {
    String dirName = dir.getFileName().toString();
    AdmittedModule admitted;
    try {
      admitted = step.run();
      DataVersionGate.check(by.stateDir().map(DataVersions::new).orElse(null), admitted);
    } catch (AdmissionException e) {
      LOG.log(System.Logger.Level.WARNING, "module {0} refused: {1}", dirName, e.getMessage());
      return new Outcome(
          null,
          new ModuleStatus(dirName, null, ModuleState.FAILED, OptionalLong.empty(), e.getMessage()),
          by);
    }
    if (!admitted.droppedCapabilities().isEmpty()) {
      LOG.log(
          System.Logger.Level.WARNING,
          "module {0}: capabilities not allowed by the policy were dropped: {1}",
          dirName,
          admitted.droppedCapabilities());
    }
    if (admitted.unsigned()) {
      LOG.log(
          System.Logger.Level.WARNING,
          "module {0} runs UNSIGNED: the policy allows it for this module (development only)",
          dirName);
    }
    return new Outcome(admitted, null, by);
  }
}
