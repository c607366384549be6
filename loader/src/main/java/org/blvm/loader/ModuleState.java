package org.blvm.loader;

/**
 * Where a module is in its life. Normal order: LOADED → INITIALIZED → SUBSCRIBED → STARTED →
 * STOPPING → STOPPED → UNLOADED. SUBSCRIBED is skipped by a module that subscribes to nothing.
 * FAILED is terminal for the current process: its manifest was refused, its launch failed, it
 * exited on its own or it broke the protocol. IDLE is a module the policy starts on demand while it
 * does not run.
 */
public enum ModuleState {
  /** Manifest accepted, socket bound, process launched; not yet authenticated. */
  LOADED,
  /** Authenticated; welcome (with its context) sent. */
  INITIALIZED,
  /** Has subscribed to events. */
  SUBSCRIBED,
  /** Said it is ready; fully running. */
  STARTED,
  /** A stop was requested; grace period running. */
  STOPPING,
  /** The process has ended after a requested stop. */
  STOPPED,
  /** Could not start, crashed, or broke the protocol. */
  FAILED,
  /** Removed from the manager. */
  UNLOADED,
  /**
   * Started on demand and not running now: admitted, launched by the first call or event it needs
   * (docs/lifecycle.md).
   */
  IDLE;

  /** True while the module process is expected to be running. */
  public boolean isLive() {
    return this == LOADED || this == INITIALIZED || this == SUBSCRIBED || this == STARTED;
  }
}
