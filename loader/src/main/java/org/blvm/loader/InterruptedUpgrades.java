package org.blvm.loader;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import org.blvm.policy.Admission;
import org.blvm.policy.AdmittedModule;
import org.blvm.policy.UpgradeJournal;

/**
 * The loader's side of {@link UpgradeJournal}: keeps each admitted version's manifest, and after an
 * interrupted upgrade admits the version that ran before it again. Failures here are logged, never
 * fatal: without a kept manifest the module directory is admitted as it always was.
 */
final class InterruptedUpgrades {
  private static final System.Logger LOG = System.getLogger("blvm.loader");

  private InterruptedUpgrades() {}

  /**
   * Keeps the manifest and signatures of {@code admitted}, admitted from its directory {@code dir}
   * (logged when they cannot be). With {@code settles}, an interrupted upgrade whose previous
   * version could not be restored is settled: the directory's version is the module's now.
   */
  static void keep(UpgradeJournal journal, AdmittedModule admitted, Path dir, boolean settles) {
    try {
      if (settles && journal.restoring(admitted.manifest().name())) {
        journal.end(admitted.manifest().name(), null);
      }
      if (!journal.keep(admitted, dir) && !admitted.unsigned()) {
        LOG.log(
            System.Logger.Level.WARNING,
            "module {0}: its directory changed after admission; version {1} cannot be restored"
                + " after an interrupted upgrade",
            admitted.manifest().name(),
            admitted.manifest().version());
      }
    } catch (IOException e) {
      LOG.log(
          System.Logger.Level.WARNING,
          "module {0}: cannot keep the manifest of version {1}: {2}",
          admitted.manifest().name(),
          admitted.manifest().version(),
          e.toString());
    }
  }

  /**
   * When an upgrade of the module in {@code dir} was interrupted: the admission of the version that
   * ran before it (assembled by the journal, admitted as a whole under {@code by}); null when no
   * upgrade was interrupted or that version is refused (then the directory is admitted as usual).
   */
  static ModuleDiscovery.Outcome restore(
      UpgradeJournal journal, Path dir, ModuleDiscovery discovery, Admission by) {
    String name = dir.getFileName().toString();
    if (!name.matches("[a-z][a-z0-9-]{0,62}") || !journal.restoring(name)) {
      return null;
    }
    String why =
        journal.pinned(name)
            ? "it was rolled back (modules rollback)"
            : "an upgrade was interrupted";
    Optional<Path> restore;
    try {
      restore = journal.restoreDir(name);
    } catch (IOException e) {
      LOG.log(
          System.Logger.Level.WARNING,
          "module {0}: {3}, and the version that ran before it cannot be restored ({1});"
              + " admitting {2}",
          name,
          e.getMessage(),
          dir,
          why);
      return null;
    }
    if (restore.isEmpty()) {
      return null;
    }
    Path from = restore.get();
    ModuleDiscovery.Outcome o = discovery.outcome(dir, by, () -> by.admitRestored(from));
    try {
      journal.discardRestore(name);
    } catch (IOException e) {
      LOG.log(System.Logger.Level.WARNING, "module {0}: {1}", name, e.toString());
    }
    if (o.admitted() == null) {
      LOG.log(
          System.Logger.Level.WARNING,
          "module {0}: {3}, and the version that ran before it was refused ({1}); admitting {2}",
          name,
          o.refused().detail(),
          dir,
          why);
      return null;
    }
    LOG.log(
        System.Logger.Level.WARNING,
        "module {0}: {3}; version {1}, which ran before it, runs again"
            + " (the version in {2} is taken by the next modules upgrade)",
        name,
        o.admitted().manifest().version(),
        dir,
        why);
    return o;
  }
}
