package org.blvm.node.admin;

/**
 * Logs refused admin peers without letting them flood the log: at most {@link #PER_MINUTE} lines a
 * minute; the first line after a quiet minute says how many were not logged. Thread-safe.
 */
final class RefusalLog {
  static final int PER_MINUTE = 5;
  private static final long MINUTE = 60_000_000_000L;
  private static final System.Logger LOG = System.getLogger("blvm.node.admin");

  private long windowStart;
  private boolean started;
  private int logged;
  private long suppressed;

  /** Records one refusal; logs it unless this minute's budget is spent. */
  void refused(String why, long now) {
    String line;
    synchronized (this) {
      if (!started || now - windowStart >= MINUTE) {
        started = true;
        windowStart = now;
        logged = 0;
      }
      if (logged == PER_MINUTE) {
        suppressed++;
        return;
      }
      logged++;
      line =
          suppressed == 0
              ? why
              : why + " (" + Long.toString(suppressed) + " earlier refusals were not logged)";
      suppressed = 0;
    }
    LOG.log(System.Logger.Level.WARNING, "admin socket: {0}", line);
  }
}
