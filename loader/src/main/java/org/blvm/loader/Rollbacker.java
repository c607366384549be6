package org.blvm.loader;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import org.blvm.policy.Admission;
import org.blvm.policy.AdmittedModule;
import org.blvm.policy.UpgradeJournal;

/**
 * Returns a module to the version that ran just before its last successful upgrade ({@code modules
 * rollback NAME}): that version's pinned store copy, assembled from the {@link UpgradeJournal}'s
 * record (its kept manifest and signatures, its stored files) and admitted as a whole under the
 * policy in force (signatures, threshold, pins, capabilities, data_version; the version ratchet
 * allows this one step back unless the module was rolled back already). The running launch is
 * stopped, the previous version launched; if it does not reach STARTED within its connect deadline
 * and 10 s more, it is stopped and the version that ran before started again. Once it reached
 * STARTED the ratchet records the rollback ({@link Admission#recordRollback}: the commit point) and
 * the journal pins the version. Shares the {@link Upgrader}'s one slot: an upgrade or a rollback
 * while one runs is refused at once. Runs on the caller's thread and holds no lock.
 */
final class Rollbacker {
  private static final System.Logger LOG = System.getLogger("blvm.loader");

  private final ModuleRegistry modules;
  private final ModuleDiscovery discovery;
  private final ModuleRunner runner;
  private final Upgrader upgrader;

  Rollbacker(
      ModuleRegistry modules, ModuleDiscovery discovery, ModuleRunner runner, Upgrader upgrader) {
    this.modules = modules;
    this.discovery = discovery;
    this.runner = runner;
    this.upgrader = upgrader;
  }

  /**
   * Rolls module {@code id} back to the version that ran before its last successful upgrade.
   *
   * @throws IllegalArgumentException when no module of that name is loaded
   * @throws IllegalStateException when it is stopping, or an upgrade or a rollback runs
   */
  ModuleRollback rollback(String id) throws InterruptedException {
    LoadedModule current = modules.require(id);
    if (!upgrader.claim()) {
      throw new IllegalStateException(
          "module " + id + ": another upgrade or rollback is running; try again when it ended");
    }
    try {
      return rollbackOne(current);
    } finally {
      upgrader.done();
    }
  }

  private ModuleRollback rollbackOne(LoadedModule current) throws InterruptedException {
    String id = current.id();
    if (current.host().state() == ModuleState.STOPPING) {
      throw new IllegalStateException("module " + id + " is STOPPING; try again");
    }
    String from = current.admitted().manifest().version();
    Admission by = discovery.admission();
    UpgradeJournal journal = ModuleDiscovery.journal(by);
    if (journal == null || current.admitted().unsigned()) {
      return refused(
          current,
          null,
          "an unsigned module, or a loader without a state directory,"
              + " keeps no previous version");
    }
    Optional<UpgradeJournal.Previous> previous;
    try {
      previous = journal.previous(id);
    } catch (IOException e) {
      return refused(current, null, "the record of its previous version cannot be read: " + e);
    }
    if (previous.isEmpty() || !previous.get().of().equals(current.admitted().manifestSha256())) {
      return refused(
          current,
          null,
          journal.pinned(id)
              ? "it was rolled back to "
                  + from
                  + " already; a second rollback, to anything older, is refused (the version"
                  + " ratchet allows one step back from the highest version that ran)"
              : "no previous version is recorded: a rollback returns only to the version that ran"
                  + " just before the last successful modules upgrade of this version");
    }
    Path restore;
    try {
      restore = journal.assemble(id, previous.get().manifest(), previous.get().tree());
    } catch (IOException e) {
      return refused(current, null, "its previous version cannot be restored: " + e.getMessage());
    }
    ModuleDiscovery.Outcome candidate;
    try {
      candidate = discovery.outcome(current.moduleDir(), by, () -> by.admitRollback(restore));
    } finally {
      Upgrader.ended(id, () -> journal.discardRestore(id));
    }
    if (candidate.refused() != null) {
      return refused(
          current, null, "its previous version was refused: " + candidate.refused().detail());
    }
    AdmittedModule target = candidate.admitted();
    String to = target.manifest().version();
    try {
      journal.begin(current.admitted());
    } catch (IOException e) {
      return refused(current, to, "the rollback cannot be recorded in the state directory: " + e);
    }
    runner.holdRestarts(id);
    ModuleRollback done = null;
    try {
      done = replace(current, candidate, by, from, to);
      return done;
    } finally {
      runner.releaseRestarts(id);
      if (done != null && done.outcome() == ModuleRollback.Outcome.ROLLED_BACK) {
        Upgrader.ended(id, () -> journal.rolledBack(id, target));
      } else if (done != null) {
        Upgrader.ended(id, () -> journal.end(id, current.admitted()));
      }
    }
  }

  private ModuleRollback replace(
      LoadedModule current, ModuleDiscovery.Outcome candidate, Admission by, String from, String to)
      throws InterruptedException {
    String reason =
        upgrader.swap(
            current,
            candidate,
            from,
            to,
            () -> by.recordRollback(candidate.admitted(), current.admitted()),
            new Upgrader.Wording(
                "rolling back",
                "rolled back",
                "could not be recorded: ",
                "; " + from + " was started again",
                "rollback to " + to + " failed"));
    var outcome = reason == null ? ModuleRollback.Outcome.ROLLED_BACK : ModuleRollback.Outcome.KEPT;
    return new ModuleRollback(current.id(), from, to, outcome, status(current.id()), reason);
  }

  private ModuleRollback refused(LoadedModule current, String to, String rule) {
    String version = current.admitted().manifest().version();
    String reason =
        "module " + current.id() + " " + version + ": rollback refused (nothing changed): " + rule;
    LOG.log(System.Logger.Level.WARNING, "{0}", reason);
    return new ModuleRollback(
        current.id(), version, to, ModuleRollback.Outcome.REFUSED, status(current.id()), reason);
  }

  private ModuleStatus status(String id) {
    return modules.status(id).orElseThrow();
  }
}
