package org.blvm.sdk;

import java.util.concurrent.Future;

/**
 * When a thread waiting for an answer keeps its CPU instead of sleeping, and when the reader thread
 * stays off the socket. These rules trade a little CPU for fewer thread wake-ups on a round trip;
 * why, and what they were measured to gain, is in docs/performance.md.
 *
 * <ul>
 *   <li>A caller may poll or spin for its answer for at most {@link #SPIN_NANOS} before it sleeps
 *       ({@link #mayPoll}). The permission is adaptive: each answer that came while the caller was
 *       still spinning earns credit (up to {@link #CREDIT_MAX}), each that came later costs two;
 *       without credit only every {@link #PROBE_EVERY}th call spins, to find out whether answers
 *       come quickly again. Never on one CPU.
 *   <li>After a caller read its own answer, the reader thread stays off the socket for {@link
 *       #READER_GRACE_NANOS} unless other calls wait, so a module calling in a loop reads each
 *       answer itself. While a caller is reading, the reader checks back after {@link
 *       #READER_GRACE_NANOS}, doubling up to {@link #READER_MAX_SLEEP_NANOS}: bytes that arrive
 *       when no call follows wait about that long.
 * </ul>
 *
 * <p>The credit fields are plain volatiles: concurrent callers may race on them, which only skews
 * the heuristic.
 */
final class SpinPolicy {
  /** Longest time a caller polls or spins for its answer before it sleeps. */
  static final long SPIN_NANOS = 50_000;

  /** Without credit, one call in this many spins anyway. */
  static final int PROBE_EVERY = 64;

  /** Most credit: answers in time needed before spinning stops after a run of late ones. */
  static final int CREDIT_MAX = 8;

  /** How long the reader thread stays off the socket after a caller read its own answer. */
  static final long READER_GRACE_NANOS = 250_000;

  /** Longest time the reader thread sleeps between checks while callers read. */
  static final long READER_MAX_SLEEP_NANOS = 2_000_000;

  private final boolean enabled;
  private volatile int credit = CREDIT_MAX;
  private volatile int callsWithoutCredit;

  /**
   * @param cpus the processors this JVM may use: with one, nothing ever spins
   */
  SpinPolicy(int cpus) {
    this.enabled = cpus > 1;
  }

  static SpinPolicy forThisMachine() {
    return new SpinPolicy(Runtime.getRuntime().availableProcessors());
  }

  /** Whether the caller asking now may poll or spin for its answer (see the class comment). */
  boolean mayPoll() {
    return enabled && (credit > 0 || ++callsWithoutCredit % PROBE_EVERY == 0);
  }

  /** Records whether the answer came while the caller was still polling or spinning. */
  void spun(boolean answered) {
    int c = credit;
    credit = answered ? Math.min(CREDIT_MAX, c + 1) : Math.max(0, c - 2);
  }

  /** Spins (no parking) until {@code answer} is done or {@link #SPIN_NANOS} pass, if allowed. */
  void spinBriefly(Future<?> answer) {
    if (answer.isDone() || !mayPoll()) {
      return;
    }
    long start = System.nanoTime();
    do {
      Thread.onSpinWait();
    } while (!answer.isDone() && System.nanoTime() - start < SPIN_NANOS);
    spun(answer.isDone());
  }

  /**
   * Whether the reader thread stays off the socket now: a caller reads, or none waits and the last
   * one to read its own answer finished less than {@link #READER_GRACE_NANOS} ago.
   */
  static boolean readerStaysOff(boolean callerReads, int callers, long sinceCallerRead) {
    return callerReads || (callers == 0 && sinceCallerRead < READER_GRACE_NANOS);
  }

  /** The reader's next sleep while callers keep reading: twice the last, at most the maximum. */
  static long longerSleep(long sleep) {
    return Math.min(2 * sleep, READER_MAX_SLEEP_NANOS);
  }
}
