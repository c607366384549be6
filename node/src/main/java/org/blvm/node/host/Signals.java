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

  /** Installs the handlers; a signal the JVM does not let us handle is logged and left alone. */
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
