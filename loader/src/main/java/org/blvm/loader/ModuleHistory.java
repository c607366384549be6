package org.blvm.loader;

import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * What outlives a launch of a module, by name: when it entered its state, when its process was
 * launched, how its last process ended; and the host's {@link ModuleStateListener}s, told of every
 * change. Lock-free: a concurrent map of immutable entries, copy-on-write listener lists.
 *
 * <p>The loader's own reactions to a change (the dependency cascade: {@link #addFollower}) are told
 * after every other listener, so that a listener is told of a module's change before any change
 * that reaction causes in another module (a dependent stopped because its dependency stops).
 */
final class ModuleHistory {
  private static final System.Logger LOG = System.getLogger("blvm.loader");

  /** One module's times; replaced, never changed. */
  record Entry(Instant since, Instant launchedAt, ModuleSnapshot.Exit lastExit) {}

  private final Clock clock;
  private final Map<String, Entry> entries = new ConcurrentHashMap<>();
  private final List<ModuleStateListener> listeners = new CopyOnWriteArrayList<>();

  /** Told after {@link #listeners}. */
  private final List<ModuleStateListener> followers = new CopyOnWriteArrayList<>();

  ModuleHistory(Clock clock) {
    this.clock = clock;
  }

  void addListener(ModuleStateListener l) {
    listeners.add(l);
  }

  /** A listener told of each change after every listener of {@link #addListener}. */
  void addFollower(ModuleStateListener l) {
    followers.add(l);
  }

  void removeListener(ModuleStateListener l) {
    listeners.remove(l);
  }

  Entry entry(String module) {
    return entries.get(module);
  }

  /** A process of the module was launched now. */
  void launched(String module) {
    Instant now = clock.instant();
    entries.compute(
        module,
        (k, e) -> new Entry(e == null ? now : e.since(), now, e == null ? null : e.lastExit()));
  }

  /** The module moved; records the time (and an ended process) and tells every listener. */
  void changed(String module, ModuleState from, ModuleState to, String detail) {
    Instant now = clock.instant();
    boolean ended =
        (to == ModuleState.STOPPED || to == ModuleState.FAILED)
            && (from.isLive() || from == ModuleState.STOPPING);
    entries.compute(
        module,
        (k, e) ->
            new Entry(
                now,
                to == ModuleState.UNLOADED || e == null ? null : e.launchedAt(),
                ended
                    ? new ModuleSnapshot.Exit(to, detail, now)
                    : e == null ? null : e.lastExit()));
    ModuleStateChange change = new ModuleStateChange(module, from, to, detail, now);
    tell(listeners, change);
    tell(followers, change);
  }

  private static void tell(List<ModuleStateListener> told, ModuleStateChange change) {
    for (ModuleStateListener l : told) {
      try {
        l.stateChanged(change);
      } catch (RuntimeException ex) {
        LOG.log(System.Logger.Level.ERROR, "a module state listener failed", ex);
      }
    }
  }
}
