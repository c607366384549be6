package org.blvm.loader;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongConsumer;
import org.blvm.policy.ModulePolicy;
import org.blvm.protocol.Codec;
import org.blvm.protocol.EventPayloads;
import org.blvm.protocol.EventType;
import org.blvm.protocol.SharedEvent;

/**
 * The outgoing frames of one connection, in order, bounded by frames and bytes. Queueing never
 * blocks. When a frame does not fit the module's overflow rule applies: {@code drop_oldest} drops
 * queued events (never other frames) and puts an {@code EventsDropped} marker before the next
 * batch; {@code disconnect} closes the queue. One writer thread takes batches of up to {@link
 * #MAX_BATCH} frames and, after each batch, lingers ({@link #linger}) so that events queued
 * meanwhile go out together.
 *
 * <p>Waking the writer: a control frame (response, invoke, welcome, close) notifies a waiting
 * writer at once and unparks a lingering one. An event does not: the queueing thread hands the
 * queue to the {@link EventRelay}, which notifies the writer ({@link #wakeWriter}); without a relay
 * the queueing thread notifies it itself. See docs/concurrency.md.
 *
 * <p>Over 400 lines: the overflow rule, the batch hand-over and the writer's wake-up share one
 * monitor and must be read together.
 */
final class OutboundQueue {
  private static final System.Logger LOG = System.getLogger("blvm.loader.connection");

  /** Marks the end of the outgoing stream: the writer flushes, then closes the socket. */
  static final byte[] END = new byte[0];

  /** Most frames the writer takes at once. */
  static final int MAX_BATCH = 256;

  /** What became of a frame handed to the queue. */
  enum Offer {
    QUEUED,
    /** The queue was closed already: nothing happened. */
    CLOSED,
    /** The frame did not fit and the rule is to disconnect: the queue is now closed. */
    OVERFLOWED
  }

  /** One queued frame; {@code seq} is the event's sequence number, 0 for other messages. */
  private record Outgoing(byte[] frame, long seq) {}

  private final String moduleId;
  private final Codec codec;
  private final ModulePolicy.EventOverflow overflowRule;
  private final int maxFrames;
  private final long maxBytes;
  private final EventRelay relay;
  private final LongConsumer droppedCounter;
  private final LongConsumer sentCounter;

  /** Frames queued: written under {@link #lock}, read without it (metrics). */
  private volatile int depth;

  private final Object lock = new Object();

  @GuardedBy("lock")
  private final ArrayDeque<Outgoing> out = new ArrayDeque<>();

  /** The writer waits in {@code lock.wait()} and nobody has notified it yet. */
  @GuardedBy("lock")
  private boolean writerWaiting;

  /** Handed to the relay, which has not taken it yet; later events need not hand it over again. */
  @GuardedBy("lock")
  private boolean wakeHandedOff;

  @GuardedBy("lock")
  private long queuedBytes;

  /** Events dropped since the last EventsDropped marker (0: none), and their seq range. */
  @GuardedBy("lock")
  private long droppedCount;

  @GuardedBy("lock")
  private long droppedFirst;

  @GuardedBy("lock")
  private long droppedLast;

  @GuardedBy("lock")
  private long eventSeq;

  /** Written under lock; read without it. */
  private volatile boolean closed;

  private volatile String closeReason;

  /**
   * The last control frame queued and not yet written, or null. While set, a direct write may not
   * overtake the queue. Set under {@link #lock} before the frame is queued; cleared by the writer
   * (compare-and-set) once it has written that frame.
   */
  private final AtomicReference<byte[]> unwrittenControl = new AtomicReference<>();

  /** The writer waits out its linger: a queued control frame unparks it. */
  private volatile boolean writerLingering;

  private volatile Thread writer;

  /**
   * @param relay wakes writers for events; null: whoever queues an event notifies the writer
   * @param droppedCounter told how many events each drop_oldest pass dropped
   * @param sentCounter told how many events each batch the writer takes holds
   */
  OutboundQueue(
      String moduleId,
      Codec codec,
      ModulePolicy.EventOverflow overflowRule,
      int maxFrames,
      long maxBytes,
      EventRelay relay,
      LongConsumer droppedCounter,
      LongConsumer sentCounter) {
    this.moduleId = moduleId;
    this.codec = codec;
    this.overflowRule = overflowRule;
    this.maxFrames = maxFrames;
    this.maxBytes = maxBytes;
    this.relay = relay;
    this.droppedCounter = droppedCounter;
    this.sentCounter = sentCounter;
  }

  /** Frames queued now, read without the lock (for metrics: may be a moment old). */
  int depth() {
    return depth;
  }

  /** The thread that takes batches (unparked when a control frame is queued while it lingers). */
  void writerThread(Thread t) {
    this.writer = t;
  }

  boolean isClosed() {
    return closed;
  }

  /** Why the queue was closed (the first reason given), or null while open. */
  String closeReason() {
    return closeReason;
  }

  /** A control frame is queued and not yet written: a direct write must not overtake it. */
  boolean controlPending() {
    return unwrittenControl.get() != null;
  }

  /** The writer waits after a batch (for tests). */
  boolean writerLingering() {
    return writerLingering;
  }

  /**
   * Queues an event with this queue's next sequence number. A waiting writer is not notified here
   * but handed to the relay (when there is one), after the lock is released.
   */
  Offer offerEvent(SharedEvent event) {
    boolean handOff = false;
    synchronized (lock) {
      if (closed) {
        return Offer.CLOSED;
      }
      byte[] frame = codec.eventFrame(event, eventSeq + 1);
      if (!offer(frame, eventSeq + 1)) {
        return Offer.OVERFLOWED;
      }
      eventSeq++;
      if (writerWaiting) {
        if (relay == null) {
          notifyWriter();
        } else if (!wakeHandedOff) {
          wakeHandedOff = true;
          handOff = true;
        }
      }
    }
    if (handOff) {
      relay.wakeLater(this);
    }
    return Offer.QUEUED;
  }

  /**
   * Counts {@code n} events as dropped before they could be queued: they take the next sequence
   * numbers, and the next batch starts with an EventsDropped marker for them.
   */
  void skipEvents(long n) {
    synchronized (lock) {
      if (closed || n <= 0) {
        return;
      }
      if (droppedCount == 0) {
        droppedFirst = eventSeq + 1;
      }
      eventSeq += n;
      droppedLast = eventSeq;
      droppedCount += n;
    }
    droppedCounter.accept(n);
  }

  /** Queues a control frame and wakes the writer at once (and ends its linger). */
  Offer offerControl(byte[] frame) {
    synchronized (lock) {
      if (closed) {
        return Offer.CLOSED;
      }
      // before the offer: the writer can only clear it after writing this very frame
      unwrittenControl.set(frame);
      if (!offer(frame, 0)) {
        return Offer.OVERFLOWED;
      }
      if (writerWaiting) {
        notifyWriter();
      }
    }
    Thread w = writer;
    if (writerLingering && w != null) {
      LockSupport.unpark(w);
    }
    return Offer.QUEUED;
  }

  /** Called by the {@link EventRelay}: notifies the writer if it still waits for queued frames. */
  void wakeWriter() {
    synchronized (lock) {
      wakeHandedOff = false;
      if (writerWaiting && !out.isEmpty()) {
        notifyWriter();
      }
    }
  }

  /**
   * Queues a final frame followed by the end marker and closes the queue; false when it was closed
   * already.
   */
  boolean closeWith(byte[] lastFrame, String reason) {
    synchronized (lock) {
      if (closed) {
        return false;
      }
      out.addLast(new Outgoing(lastFrame, 0));
      out.addLast(new Outgoing(END, 0));
      depth = out.size();
      notifyWriter();
      closeReason = reason;
      closed = true;
      return true;
    }
  }

  /** Closes at once: drops everything queued, and tells the writer to end. */
  void abort(String reason) {
    synchronized (lock) {
      markClosed(reason);
    }
  }

  @GuardedBy("lock")
  private void markClosed(String reason) {
    assert Thread.holdsLock(lock);
    if (closeReason == null) {
      closeReason = reason;
    }
    closed = true;
    out.clear();
    queuedBytes = 0;
    out.addLast(new Outgoing(END, 0));
    depth = out.size();
    notifyWriter();
  }

  /** The wake-up itself happens when the caller leaves the monitor. */
  @GuardedBy("lock")
  private void notifyWriter() {
    assert Thread.holdsLock(lock);
    writerWaiting = false;
    lock.notifyAll();
  }

  /** Queues the frame if it fits, else applies the overflow rule. */
  @GuardedBy("lock")
  private boolean offer(byte[] frame, long seq) {
    assert Thread.holdsLock(lock);
    if (!fits(frame.length)) {
      if (overflowRule == ModulePolicy.EventOverflow.DROP_OLDEST) {
        dropOldestEvents(frame.length);
      }
      if (!fits(frame.length)) {
        overflow();
        return false;
      }
    }
    out.addLast(new Outgoing(frame, seq));
    queuedBytes += frame.length;
    depth = out.size();
    return true;
  }

  @GuardedBy("lock")
  private boolean fits(int length) {
    return out.size() < maxFrames && queuedBytes + length <= maxBytes;
  }

  /** Drops queued events, oldest first, until {@code length} fits. */
  @GuardedBy("lock")
  private void dropOldestEvents(int length) {
    assert Thread.holdsLock(lock);
    long n = 0;
    for (Iterator<Outgoing> it = out.iterator(); it.hasNext() && !fits(length); ) {
      Outgoing o = it.next();
      if (o.seq() == 0) {
        continue; // responses, invokes and the close are never dropped
      }
      it.remove();
      queuedBytes -= o.frame().length;
      if (droppedCount == 0) {
        droppedFirst = o.seq();
      }
      droppedLast = o.seq();
      droppedCount++;
      n++;
    }
    if (n > 0) {
      depth = out.size();
      droppedCounter.accept(n);
    }
  }

  @GuardedBy("lock")
  private void overflow() {
    String reason =
        "outgoing queue full ("
            + out.size()
            + " frames, "
            + queuedBytes
            + " bytes): the module is not reading; disconnected";
    LOG.log(System.Logger.Level.WARNING, "module {0}: {1}", moduleId, reason);
    markClosed(reason);
  }

  // ------------------------------------------------------------------ writer side

  /**
   * Waits for frames and moves up to {@link #MAX_BATCH} of them into {@code batch}, preceded by an
   * EventsDropped marker when events were dropped since the last one. Returns what to log about the
   * drop (outside the lock), or null.
   */
  String takeBatch(List<byte[]> batch) throws InterruptedException {
    String dropped = null;
    long events = 0;
    synchronized (lock) {
      while (out.isEmpty()) {
        writerWaiting = true;
        try {
          lock.wait();
        } finally {
          writerWaiting = false;
        }
      }
      if (droppedCount > 0 && !closed) {
        batch.add(droppedMarker());
        dropped =
            droppedCount
                + " events dropped (seq "
                + droppedFirst
                + ".."
                + droppedLast
                + "): its queue was full";
        droppedCount = 0;
      }
      for (int i = 0; i < MAX_BATCH && !out.isEmpty(); i++) {
        Outgoing o = out.pollFirst();
        queuedBytes -= o.frame().length;
        batch.add(o.frame());
        if (o.seq() != 0) {
          events++;
        }
      }
      depth = out.size();
    }
    if (events > 0) {
      sentCounter.accept(events);
    }
    return dropped;
  }

  /**
   * The writer has written {@code frame}: a direct write may go ahead if it was the last control.
   */
  void written(byte[] frame) {
    unwrittenControl.compareAndSet(frame, null);
  }

  /** The marker's seq is the last dropped one, so the module's seq stays contiguous. */
  @GuardedBy("lock")
  private byte[] droppedMarker() {
    EventPayloads.EventsDropped p =
        new EventPayloads.EventsDropped(droppedCount, droppedFirst, droppedLast);
    return codec.eventFrame(
        codec.encodeShared(EventType.EventsDropped.wireName(), null, (Object) p), droppedLast);
  }

  /**
   * Called by the writer after a batch: waits up to {@code nanos} so that frames queued meanwhile
   * go out together; a control frame queued meanwhile ends the wait.
   */
  void linger(long nanos) {
    writerLingering = true;
    LockSupport.parkNanos(nanos);
    writerLingering = false;
  }
}
