package org.blvm.loader;

import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * Runs an action when the process receives SIGHUP, through {@code sun.misc.Signal} (module {@code
 * jdk.unsupported}, usable on JDK 17 without flags). The JVM runs the handler on a thread of its
 * own; the action must only hand work off (it asks the reload thread for a reload). Installing
 * replaces the JVM's default SIGHUP behaviour (running shutdown hooks and exiting); uninstalling
 * restores the handler that was there before.
 */
final class SighupHook {
  private static final System.Logger LOG = System.getLogger("blvm.loader.config");
  private static final Signal HUP = new Signal("HUP");

  private final SignalHandler previous;

  private SighupHook(SignalHandler previous) {
    this.previous = previous;
  }

  /**
   * Installs the handler; returns null (and logs why) when the JVM does not allow it or the process
   * started with SIGHUP ignored.
   */
  static SighupHook install(Runnable action) {
    try {
      SignalHandler previous =
          Signal.handle(
              HUP,
              sig -> {
                try {
                  action.run();
                } catch (RuntimeException e) {
                  LOG.log(System.Logger.Level.ERROR, "SIGHUP handler failed", e);
                }
              });
      if (previous == SignalHandler.SIG_IGN) {
        // The JVM keeps a signal ignored that the process inherited as ignored (e.g. under nohup)
        // and never runs the handler.
        LOG.log(
            System.Logger.Level.WARNING,
            "SIGHUP is ignored by this process (it was started with SIGHUP ignored, e.g. under"
                + " nohup): it will not reload the node config; reload with the admin call");
        return null;
      }
      LOG.log(System.Logger.Level.INFO, "SIGHUP reloads the node config");
      return new SighupHook(previous);
    } catch (IllegalArgumentException e) {
      // e.g. the JVM runs with -Xrs, or the signal is reserved
      LOG.log(
          System.Logger.Level.ERROR,
          "cannot handle SIGHUP ({0}); reload the node config with the admin call",
          e.getMessage());
      return null;
    }
  }

  void uninstall() {
    try {
      Signal.handle(HUP, previous);
    } catch (IllegalArgumentException e) {
      LOG.log(System.Logger.Level.DEBUG, "restoring the SIGHUP handler: {0}", e.getMessage());
    }
  }
}
