package org.blvm.loader;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * Counts one module's bad connections — refused connects and protocol violations before the
 * handshake — within a sliding minute (60 one-second slots, so its memory is fixed whatever the
 * rate), and rate-limits the log lines about them. More than the limit within a minute means the
 * module misbehaves. Used by the module's accept thread; the monitor makes it safe from others.
 */
final class BadConnections {
  /** Bad connections within a minute that a module may cause before it counts as misbehaving. */
  static final int DEFAULT_LIMIT_PER_MINUTE = 20;

  /** Log lines about bad connections: at most this many per {@link #LOG_WINDOW_NANOS}. */
  static final int LOG_LINES_PER_WINDOW = 5;

  static final long LOG_WINDOW_NANOS = TimeUnit.SECONDS.toNanos(60);

  /** The sliding minute as 60 one-second slots: memory stays the same at any connection rate. */
  private static final int SLOTS = 60;

  private static final long SLOT_NANOS = TimeUnit.SECONDS.toNanos(1);

  private final String moduleId;
  private final System.Logger log;
  private final int limit;
  private final Ticker ticker;

  /** The second (ticker time / 1 s) each slot counts. */
  @GuardedBy("this")
  private final long[] slotSecond = new long[SLOTS];

  @GuardedBy("this")
  private final int[] slotCount = new int[SLOTS];

  @GuardedBy("this")
  private long logWindowStart;

  @GuardedBy("this")
  private int logLinesInWindow;

  @GuardedBy("this")
  private long suppressed;

  @GuardedBy("this")
  private boolean tripped;

  BadConnections(String moduleId, System.Logger log, int limitPerMinute, Ticker ticker) {
    this.moduleId = moduleId;
    this.log = log;
    this.limit = limitPerMinute;
    this.ticker = ticker;
    this.logWindowStart = ticker.nanoTime();
    Arrays.fill(slotSecond, Math.floorDiv(logWindowStart, SLOT_NANOS) - SLOTS);
  }

  /**
   * Records one bad connection and logs {@code why} unless the log budget is spent. Returns the
   * reason the module now counts as misbehaving (once: the first time the limit is passed), or
   * null.
   */
  String record(String why) {
    String line = null;
    String misbehaving = null;
    synchronized (this) {
      long now = ticker.nanoTime();
      long second = Math.floorDiv(now, SLOT_NANOS);
      int slot = (int) Math.floorMod(second, SLOTS);
      if (slotSecond[slot] != second) {
        slotSecond[slot] = second;
        slotCount[slot] = 0;
      }
      slotCount[slot]++;
      long inWindow = 0;
      for (int i = 0; i < SLOTS; i++) {
        if (second - slotSecond[i] < SLOTS) {
          inWindow += slotCount[i];
        }
      }
      if (now - logWindowStart > LOG_WINDOW_NANOS) {
        logWindowStart = now;
        logLinesInWindow = 0;
      }
      if (logLinesInWindow < LOG_LINES_PER_WINDOW) {
        logLinesInWindow++;
        line = suppressed == 0 ? why : why + " (" + suppressed + " more suppressed)";
        suppressed = 0;
      } else {
        suppressed++;
      }
      if (!tripped && inWindow > limit) {
        tripped = true;
        misbehaving =
            inWindow
                + " bad connections (refused, or protocol violations before the handshake)"
                + " within 60 s, more than the "
                + limit
                + " allowed";
      }
    }
    if (line != null) {
      log.log(System.Logger.Level.WARNING, "module {0}: {1}", moduleId, line);
    }
    return misbehaving;
  }

  /** Log lines not written since the last one (for tests). */
  synchronized long suppressed() {
    return suppressed;
  }
}
