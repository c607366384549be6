package org.blvm.sdk;

import java.io.FileDescriptor;
import java.io.IOException;
import java.nio.channels.ClosedSelectorException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import org.blvm.protocol.ErrorCode;
import org.blvm.protocol.ErrorValue;
import org.blvm.protocol.ProtocolException;

/**
 * Reads frames from the node and hands each to the {@link Router}. Whoever holds {@link #readLock}
 * reads: normally the reader thread {@code blvm-sdk-reader}, but a call made while no other call
 * waits reads its own answer ({@link #await}), which saves the hand-off from the reader thread to
 * the caller (a thread wake-up). The reader thread then steps aside; when and for how long, and
 * when a waiting caller polls or spins rather than sleeps, is {@link SpinPolicy}'s. Other
 * concurrent callers spin briefly and then block on their answer's future, which the holder of the
 * read lock completes.
 */
final class ResponseReader {
  /** Where frames go; every method is called by the holder of the read lock. */
  interface Router {
    /**
     * Decodes and routes one frame.
     *
     * @return false when the client shut down (the frame closed it or broke the protocol)
     */
    boolean route(byte[] payload) throws ProtocolException;

    /**
     * The pass over the read buffer ended: no complete frame is left, or the holder of the read
     * lock is about to leave it.
     */
    void passEnded();

    /** The connection failed while reading: close the client (see {@code DefaultModuleClient}). */
    void failed(
        ErrorValue reason, boolean tellNode, ModuleConnectException.Reason handshakeFailure);
  }

  private final NodeChannel channel;

  /** Held by whoever reads from the socket: the reader thread, or a caller reading its answer. */
  private final ReentrantLock readLock;

  /** Guarded by readLock. */
  private final IncomingFrames incoming;

  private final SpinPolicy spin;
  private final Lifecycle life;
  private final Router router;
  private final Thread thread;

  /** Calls waiting for their answer. */
  private final AtomicInteger callers = new AtomicInteger();

  /** A caller reads (or is about to read) its own answer: the reader thread steps aside. */
  private volatile boolean callerReads;

  /** System.nanoTime() when the last caller that read its own answer finished. */
  private volatile long callerReadEnded;

  /**
   * Responses routed by a calling thread rather than the reader thread (written under readLock).
   */
  private volatile long answersReadByCallers;

  /** Answers a caller read while it was still polling (written under readLock). */
  private volatile long answersWhileSpinning;

  ResponseReader(
      NodeChannel channel,
      ReentrantLock readLock,
      int maxFrameBytes,
      SpinPolicy spin,
      Lifecycle life,
      Router router) {
    this.channel = channel;
    this.readLock = readLock;
    this.incoming = new IncomingFrames(maxFrameBytes);
    this.spin = spin;
    this.life = life;
    this.router = router;
    this.callerReadEnded = System.nanoTime() - 2 * SpinPolicy.READER_GRACE_NANOS;
    this.thread = new Thread(this::readLoop, "blvm-sdk-reader");
    this.thread.setDaemon(true);
  }

  void start() {
    thread.start();
  }

  /** Wakes the reader thread from a park (the client is closing). */
  void wake() {
    LockSupport.unpark(thread);
  }

  /**
   * A call begins, before it sends its request; true when it is the only one, and so reads its own
   * answer. Such a call claims the socket here ({@link #callerReads}), before its request leaves,
   * so that the reader thread does not start a wait for bytes in the meantime that the caller would
   * then have to wake it from.
   */
  boolean callStarted() {
    if (callers.incrementAndGet() == 1) {
      callerReads = true;
      return true;
    }
    return false;
  }

  /** A call stopped waiting; the last reading caller hands the socket back if calls remain. */
  void callEnded(boolean alone) {
    if (alone) {
      callerReads = false; // also when the request could not be sent
      callerReadEnded = System.nanoTime();
    }
    if (callers.decrementAndGet() > 0 && alone) {
      LockSupport.unpark(thread); // calls that came meanwhile wait for the reader thread
    }
  }

  /**
   * Waits a while for {@code answer} before the caller blocks on it: reads it itself when {@code
   * alone} (until it is done or the deadline passes), else spins briefly.
   */
  void await(CompletableFuture<?> answer, long deadline, boolean alone)
      throws InterruptedException {
    if (alone) {
      readOwnAnswer(answer, deadline);
    } else {
      spin.spinBriefly(answer);
    }
  }

  /** Caller holds readLock: a response was routed (counts those routed by callers). */
  void answerRouted() {
    assert readLock.isHeldByCurrentThread();
    if (Thread.currentThread() != thread) {
      answersReadByCallers++; // one writer at a time: the holder of readLock
    }
  }

  /**
   * Caller holds readLock (routing a frame): the descriptors that came with that frame, or null;
   * the caller owns them.
   */
  FileDescriptor[] takeDescriptors() {
    assert readLock.isHeldByCurrentThread();
    return incoming.takeDescriptors();
  }

  /** Responses routed by a calling thread itself, not handed over by the reader (for tests). */
  long answersReadByCallers() {
    return answersReadByCallers;
  }

  /** Answers read by their caller while it polled the socket, before it would have slept. */
  long answersWhileSpinning() {
    return answersWhileSpinning;
  }

  /**
   * The calling thread reads from the socket itself until its answer arrives (or the deadline
   * passes), routing whatever else arrives on the way as the reader thread would. If the reader
   * thread holds the read lock it is waiting for bytes; waking its selector makes it step aside.
   * When {@link SpinPolicy#mayPoll} allows, the caller polls with non-blocking reads for up to
   * {@link SpinPolicy#SPIN_NANOS} before it waits in the selector: an answer that comes meanwhile
   * needs no wake-up.
   */
  private void readOwnAnswer(CompletableFuture<?> answer, long deadline)
      throws InterruptedException {
    assert callerReads; // set by callStarted
    try {
      if (!readLock.tryLock()) {
        channel.wakeReader();
        if (!readLock.tryLock(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
          return; // the reader is still busy: the answer may yet come through it
        }
      }
      try {
        pump(answer, deadline);
      } finally {
        readLock.unlock();
      }
    } catch (ClosedSelectorException e) {
      // the client closed meanwhile; the answer has been failed
    } finally {
      callerReads = false;
    }
  }

  /**
   * The reader thread: reads whenever no caller reads its own answer, and stays away while {@link
   * SpinPolicy#readerStaysOff} says so.
   */
  private void readLoop() {
    long sleep = SpinPolicy.READER_GRACE_NANOS;
    while (!life.isClosed()) {
      Thread.interrupted(); // nothing interrupts the reader; a stray interrupt must not spin it
      if (callerReads) {
        // a caller is reading, and while calls keep coming the callers read everything: look
        // less and less often (the last caller to leave unparks this thread if calls remain)
        LockSupport.parkNanos(this, sleep);
        sleep = SpinPolicy.longerSleep(sleep);
        continue;
      }
      long graceLeft = SpinPolicy.READER_GRACE_NANOS - (System.nanoTime() - callerReadEnded);
      if (callers.get() == 0 && graceLeft > 0) {
        LockSupport.parkNanos(this, graceLeft); // until the grace after the last call ends
        continue;
      }
      sleep = SpinPolicy.READER_GRACE_NANOS;
      readLock.lock();
      try {
        pump(null, 0);
      } finally {
        readLock.unlock();
      }
    }
    readLock.lock(); // a caller still reading leaves when it sees the client closed
    try {
      incoming.closeDescriptors(); // received, and no frame took them
    } finally {
      readLock.unlock();
    }
  }

  private boolean readerShouldYield() {
    return SpinPolicy.readerStaysOff(
        callerReads, callers.get(), System.nanoTime() - callerReadEnded);
  }

  /**
   * Caller holds readLock. Reads and routes frames until {@code answer} is done or the deadline
   * passes (a caller), or until no bytes are waiting and a caller wants to read (the reader thread:
   * {@code answer} is null and there is no deadline). A broken connection or a protocol violation
   * goes to {@link Router#failed}, which shuts the client down and fails every waiting call.
   */
  private void pump(CompletableFuture<?> answer, long deadline) {
    assert readLock.isHeldByCurrentThread();
    // A caller that may poll does non-blocking reads for up to SPIN_NANOS before it waits in the
    // selector. Otherwise it waits for readiness before the first read, rather than spend a
    // read(2) that finds nothing (the selector reports bytes already there at once).
    long spinStart = answer != null && spin.mayPoll() ? System.nanoTime() : 0;
    boolean spinning = spinStart != 0;
    boolean tryRead = answer == null || spinning;
    try {
      while (!life.isClosed()) {
        if (answer != null && answer.isDone()) {
          if (spinning) {
            spin.spun(true);
            answersWhileSpinning++; // one writer at a time: the holder of readLock
          }
          return;
        }
        byte[] payload = incoming.next();
        if (payload == null) {
          router.passEnded(); // before this thread reads again or waits
        } else {
          if (!router.route(payload)) {
            return;
          }
          if (answer == null && callerReads) {
            return; // a caller waits for the lock: let it read from here on
          }
          continue;
        }
        if (Thread.currentThread().isInterrupted()) {
          return; // an interrupted caller gives up (its selector would not wait any more)
        }
        if (tryRead) {
          int n = channel.read(incoming);
          if (n > 0) {
            continue;
          }
          if (n < 0) {
            incoming.checkCleanEnd();
            router.failed(
                ErrorValue.of(
                    ErrorCode.UNAVAILABLE,
                    "the node closed the connection without a close message"),
                false,
                ModuleConnectException.Reason.IO);
            return;
          }
        }
        tryRead = true;
        if (spinning) {
          if (System.nanoTime() - spinStart < SpinPolicy.SPIN_NANOS) {
            Thread.onSpinWait();
            continue;
          }
          spinning = false;
          spin.spun(false);
        }
        long waitMs;
        if (answer == null) {
          if (readerShouldYield()) {
            return;
          }
          waitMs = 0; // until bytes arrive, or a caller or the shutdown wakes the selector
        } else {
          long left = deadline - System.nanoTime();
          if (left <= 0) {
            return;
          }
          waitMs = Math.max(1, TimeUnit.NANOSECONDS.toMillis(left + 999_999));
        }
        channel.awaitReadable(waitMs);
      }
    } catch (ProtocolException e) {
      router.failed(
          ErrorValue.of(
              ErrorCode.PROTOCOL_ERROR, "undecodable message from the node: " + e.getMessage()),
          true,
          ModuleConnectException.Reason.PROTOCOL);
    } catch (IOException | ClosedSelectorException e) {
      if (!life.isClosed()) {
        router.failed(
            ErrorValue.of(ErrorCode.UNAVAILABLE, "reading from the node failed: " + e),
            false,
            ModuleConnectException.Reason.IO);
      }
    } catch (RuntimeException e) {
      router.failed(
          ErrorValue.of(ErrorCode.INTERNAL, "SDK reader failed: " + e),
          true,
          ModuleConnectException.Reason.IO);
    } finally {
      router.passEnded(); // e.g. the reader steps aside for a caller with events read
    }
  }
}
