package org.blvm.loader;

/**
 * Told of every state change of every module ({@link ModuleManager#addStateListener}), so a host
 * never polls. Called with no loader lock held, one change of a module at a time, in the order of
 * that module's changes: normally on the thread that made the change (a module's reader, its
 * process-exit thread, the restart thread, a caller of stopModule …), which waits for the reports
 * of the module's earlier changes first; when it cannot wait for them (at most 1 s), on the thread
 * telling them, after them. It must return quickly and must not block or call back into the manager
 * and wait: hand work off to a thread of your own. An exception it throws is logged and ignored.
 */
@FunctionalInterface
public interface ModuleStateListener {
  void stateChanged(ModuleStateChange change);
}
