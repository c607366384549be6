package org.blvm.loader;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;
import org.blvm.policy.Admission;
import org.blvm.policy.AdmissionException;
import org.blvm.policy.AdmittedModule;
import org.blvm.policy.UpgradeJournal;

/**
 * Upgrades a module to the version in its directory, with rollback: the new version is admitted as
 * a whole into the store (every check; the ratchet read, not written), the old launch is stopped,
 * the new one launched; if it does not reach STARTED within its connect deadline and 10 s more, it
 * is stopped and the previous pinned copy launched again. The ratchet records the new version only
 * once it reached STARTED. Before the old launch is stopped, the {@link UpgradeJournal} records
 * durably that an upgrade runs, so that a node killed mid-way runs the previous version again at
 * its next start; the record is removed when the upgrade ended. Automatic restarts of the module
 * are held while an upgrade runs. One upgrade at a time (a flag, not a lock: a second is refused at
 * once); it runs on the caller's thread and holds no lock.
 */
final class Upgrader {
  private static final System.Logger LOG = System.getLogger("blvm.loader");

  /** Beyond the connect deadline, for the subscriptions and {@code ready}. */
  static final long READY_MARGIN_MS = 10_000;

  private final ModuleRegistry modules;
  private final ModuleDiscovery discovery;
  private final ModuleRunner runner;
  private final long stopGraceMs;

  /** Set while an upgrade or a rollback ({@link Rollbacker}) runs. */
  private final AtomicBoolean running = new AtomicBoolean();

  Upgrader(
      ModuleRegistry modules, ModuleDiscovery discovery, ModuleRunner runner, long stopGraceMs) {
    this.modules = modules;
    this.discovery = discovery;
    this.runner = runner;
    this.stopGraceMs = stopGraceMs;
  }

  /** Claims the one upgrade-or-rollback slot; false when one runs. Release with {@link #done}. */
  boolean claim() {
    return running.compareAndSet(false, true);
  }

  void done() {
    running.set(false);
  }

  /**
   * Upgrades module {@code id} to the version its directory holds now.
   *
   * @throws IllegalArgumentException when no module of that name is loaded
   * @throws IllegalStateException when it is stopping, or another upgrade runs
   */
  ModuleUpgrade upgrade(String id) throws InterruptedException {
    LoadedModule old = modules.require(id);
    if (!claim()) {
      throw new IllegalStateException(
          "module " + id + ": another upgrade is running (or a rollback); try again when it ended");
    }
    try {
      return upgradeOne(old);
    } finally {
      done();
    }
  }

  private ModuleUpgrade upgradeOne(LoadedModule old) throws InterruptedException {
    String id = old.id();
    if (old.host().state() == ModuleState.STOPPING) {
      throw new IllegalStateException("module " + id + " is STOPPING; try again");
    }
    String from = old.admitted().manifest().version();
    Path dir = old.moduleDir();
    Admission by = discovery.admission();
    ModuleDiscovery.Outcome candidate = discovery.outcome(dir, by, () -> by.admitCandidate(dir));
    if (candidate.refused() != null) {
      return new ModuleUpgrade(
          id,
          from,
          null,
          ModuleUpgrade.Outcome.REFUSED,
          old.host().status(),
          "the version in "
              + dir
              + " was refused, "
              + id
              + " "
              + from
              + " keeps running as it was: "
              + candidate.refused().detail());
    }
    AdmittedModule next = candidate.admitted();
    String to = next.manifest().version();
    if (next.tree().digest().equals(old.admitted().tree().digest())
        && next.manifestSha256().equals(old.admitted().manifestSha256())) {
      return new ModuleUpgrade(
          id,
          from,
          to,
          ModuleUpgrade.Outcome.UNCHANGED,
          old.host().status(),
          dir + " holds the manifest and files " + id + " " + from + " runs already");
    }
    UpgradeJournal journal = ModuleDiscovery.journal(by);
    if (journal != null) {
      InterruptedUpgrades.keep(journal, next, dir, false);
      try {
        journal.begin(old.admitted());
      } catch (IOException e) {
        return new ModuleUpgrade(
            id,
            from,
            to,
            ModuleUpgrade.Outcome.REFUSED,
            old.host().status(),
            "the upgrade cannot be recorded in the state directory ("
                + e
                + "), "
                + id
                + " "
                + from
                + " keeps running as it was");
      }
    }
    runner.holdRestarts(id);
    ModuleUpgrade done = null;
    try {
      done = replace(old, candidate, by, from, to);
      return done;
    } finally {
      runner.releaseRestarts(id);
      if (journal != null && done != null) {
        if (done.outcome() == ModuleUpgrade.Outcome.UPGRADED) {
          ended(id, () -> journal.succeeded(id, old.admitted(), next));
        } else {
          ended(id, () -> journal.end(id, old.admitted()));
        }
      }
    }
  }

  /** A write of {@link UpgradeJournal}. */
  interface JournalWrite {
    void run() throws IOException;
  }

  /**
   * The upgrade (or rollback) of {@code id} ended: records it in the journal, logged on failure.
   */
  static void ended(String id, JournalWrite write) {
    try {
      write.run();
    } catch (IOException e) {
      LOG.log(
          System.Logger.Level.WARNING,
          "module {0}: cannot record that its upgrade or rollback ended: {1}",
          id,
          e.toString());
    }
  }

  private ModuleUpgrade replace(
      LoadedModule old, ModuleDiscovery.Outcome candidate, Admission by, String from, String to)
      throws InterruptedException {
    String reason =
        swap(
            old,
            candidate,
            from,
            to,
            () -> by.recordRan(candidate.admitted()),
            new Wording(
                "upgrading",
                "upgraded",
                "its version could not be recorded: ",
                "; rolled back to " + from,
                "rolling back to " + from));
    var outcome =
        reason == null ? ModuleUpgrade.Outcome.UPGRADED : ModuleUpgrade.Outcome.ROLLED_BACK;
    return new ModuleUpgrade(old.id(), from, to, outcome, status(old.id()), reason);
  }

  /** The ratchet's step that commits a swap once the new launch reached STARTED. */
  interface RatchetStep {
    void record() throws AdmissionException;
  }

  /**
   * The words of one kind of swap in its log lines and reason.
   *
   * @param doing {@code upgrading}: logged before, and the reason the old launch is retired
   * @param done {@code upgraded}: logged once recorded
   * @param notRecorded why it failed when {@link RatchetStep#record} refused, before the refusal
   * @param fallback appended to the reason when the version that ran was started again
   * @param relaunchWhy why the launch that did not start is stopped
   */
  record Wording(
      String doing, String done, String notRecorded, String fallback, String relaunchWhy) {}

  /**
   * Swaps {@code current}'s launch for {@code candidate}'s: stops and retires it, launches the
   * candidate and, once it reached STARTED, runs {@code step}; when it does not start or {@code
   * step} refuses, launches {@code current}'s version again. Returns null when the candidate runs
   * and was recorded, else the reason.
   */
  String swap(
      LoadedModule current,
      ModuleDiscovery.Outcome candidate,
      String from,
      String to,
      RatchetStep step,
      Wording w)
      throws InterruptedException {
    String id = current.id();
    LOG.log(System.Logger.Level.INFO, "module {0}: {1} {2} to {3}", id, w.doing(), from, to);
    if (current.host().state().isLive()) {
      runner.stop(id);
    }
    runner.retire(current, w.doing() + " to " + to);
    runner.launch(candidate, current.moduleDir());
    String why = awaitStarted(id, candidate.admitted());
    if (why == null) {
      try {
        step.record();
        LOG.log(System.Logger.Level.INFO, "module {0}: {1} {2} to {3}", id, w.done(), from, to);
        return null;
      } catch (AdmissionException e) {
        why = w.notRecorded() + e.getMessage();
      }
    }
    String reason = id + " " + to + " " + why + w.fallback();
    LOG.log(System.Logger.Level.WARNING, "module {0}: {1}", id, reason);
    String back = relaunch(current, w.relaunchWhy());
    if (back != null) {
      reason += ", which " + back;
    }
    return reason;
  }

  /**
   * Stops (or kills what is left of) the launch of {@code old}'s module that did not start, and
   * launches {@code old}'s pinned copy again (rechecked under the policy in force); returns null
   * when it is STARTED again, else why not.
   */
  String relaunch(LoadedModule old, String why) throws InterruptedException {
    String id = old.id();
    LoadedModule failed = modules.get(id).orElse(null);
    if (failed != null) {
      if (failed.host().state().isLive()) {
        failed.stop(stopGraceMs, why);
      } else {
        failed.killProcess(); // a process left behind by a failed launch
      }
      runner.retire(failed, why);
    }
    runner.launch(discovery.readmit(old.admitted(), old.moduleDir()), old.moduleDir());
    return awaitStarted(id, old.admitted());
  }

  /**
   * Waits until the launch of {@code id} is STARTED or ended, bounded by its connect deadline and
   * {@link #READY_MARGIN_MS}; returns null when STARTED, else why not.
   */
  String awaitStarted(String id, AdmittedModule admitted) throws InterruptedException {
    LoadedModule m = modules.get(id).orElse(null);
    if (m == null) {
      return "was refused: " + status(id).detail();
    }
    long bound = admitted.modulePolicy().connectTimeoutSeconds() * 1000L + READY_MARGIN_MS;
    if (m.host().awaitState(ModuleState.STARTED, bound)) {
      return null;
    }
    ModuleStatus s = m.host().status();
    return s.state().isLive()
        ? "did not reach STARTED within " + (bound / 1000) + " s (still " + s.state() + ")"
        : "did not reach STARTED: "
            + s.state()
            + (s.detail() == null ? "" : " (" + s.detail() + ")");
  }

  private ModuleStatus status(String id) {
    return modules.status(id).orElseThrow();
  }
}
