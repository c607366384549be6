package org.blvm.node.host;

import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * The node's signals, through {@code sun.misc.Signal} (module {@code jdk.unsupported}): SIGINT and
 * SIGTERM ask for a clean stop, SIGHUP for a reload. The JVM runs each handler on a thread of its
 * own; the actions only hand work off.
 */
final class Signals {
  private static final System.Logger LOG = System.getLogger("blvm.node");

  private Signals() {}

  /**
   * Installs the handlers; a signal the JVM does not let us handle, or that the process started
   * with ignored, is logged and left alone.
   */
  static void install(Runnable stop, Runnable reload) {
    handle("INT", stop);
    handle("TERM", stop);
    handle("HUP", reload);
  }

  private static void handle(String name, Runnable action) {
    try {
      SignalHandler previous =
          Signal.handle(
              new Signal(name),
              sig -> {
                try {
                  action.run();
                } catch (RuntimeException e) {
                  LOG.log(System.Logger.Level.ERROR, "SIG" + name + " handler failed", e);
                }
              });
      if (previous == SignalHandler.SIG_IGN) {
        // The JVM keeps a signal ignored that the process inherited as ignored and never runs the
        // handler: SIGHUP under nohup, SIGINT for a background job of a non-interactive shell.
        LOG.log(
            System.Logger.Level.WARNING,
            "SIG{0} is ignored by this process (it was started with SIG{0} ignored, e.g. under nohup"
                + " or as a background job of a script): it does nothing here; use the admin socket"
                + " (blvm-loader) instead",
            name);
      }
    } catch (IllegalArgumentException e) {
      // e.g. the JVM runs with -Xrs
      LOG.log(
          System.Logger.Level.ERROR,
          "cannot handle SIG{0} ({1}); use the admin socket instead",
          name,
          e.getMessage());
    }
  }
}
