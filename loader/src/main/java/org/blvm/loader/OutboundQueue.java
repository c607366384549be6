package org.blvm.loader;

import com.google.errorprone.annotations.concurrent.GuardedBy;
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
 * <p>What is queued ({@link FrameRing}, which also applies the bounds and the overflow rule): a
 * control frame as its bytes; an event as a reference to the one {@link SharedEvent} all its
 * subscribers share, beside this connection's sequence number for it, so queueing an event
 * allocates nothing; the writer writes its frame ({@link OutboundBatch#writeEvent}). The bounds
 * count each event's frame bytes as they go out. A queued event holds one count of a pooled event
 * until it is written, dropped or the queue closes.
 *
 * <p>Waking the writer: a control frame (response, invoke, welcome, close) notifies a waiting
 * writer at once and unparks a lingering one. An event does not: the queueing thread hands the
 * queue to the {@link EventRelay}, which notifies the writer ({@link #wakeWriter}); without a relay
 * the queueing thread notifies it itself. See docs/concurrency.md.
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

  private final String moduleId;
  private final Codec codec;
  private final EventRelay relay;
  private final LongConsumer droppedCounter;
  private final LongConsumer sentCounter;

  /** Frames queued: written under {@link #lock}, read without it (metrics). */
  private volatile int depth;

  private final Object lock = new Object();

  /** The queued frames in order, with the bounds and the dropped-events range. */
  @GuardedBy("lock")
  private final FrameRing ring;

  /** The writer waits in {@code lock.wait()} and nobody has notified it yet. */
  @GuardedBy("lock")
  private boolean writerWaiting;

  /** Handed to the relay, which has not taken it yet; later events need not hand it over again. */
  @GuardedBy("lock")
  private boolean wakeHandedOff;

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
    this.ring = new FrameRing(codec.direct(), overflowRule, maxFrames, maxBytes);
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
   * Queues an event with this queue's next sequence number (retaining a pooled event: the caller
   * keeps its own count). A waiting writer is not notified here but handed to the relay (when there
   * is one), after the lock is released.
   */
  Offer offerEvent(SharedEvent event) {
    boolean handOff = false;
    synchronized (lock) {
      if (closed) {
        return Offer.CLOSED;
      }
      if (!offer(event, codec.direct().eventFrameLength(event, eventSeq + 1), eventSeq + 1)) {
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
      ring.recordDropped(eventSeq + 1, eventSeq + n, n);
      eventSeq += n;
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
      if (!offer(frame, frame.length, 0)) {
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
      if (writerWaiting && ring.size() > 0) {
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
      ring.addLast(lastFrame, 0);
      ring.addLast(END, 0);
      depth = ring.size();
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
    ring.clear();
    ring.addLast(END, 0);
    depth = ring.size();
    notifyWriter();
  }

  /** The wake-up itself happens when the caller leaves the monitor. */
  @GuardedBy("lock")
  private void notifyWriter() {
    assert Thread.holdsLock(lock);
    writerWaiting = false;
    lock.notifyAll();
  }

  /** Queues the frame (of {@code length} bytes) if it fits, else applies the overflow rule. */
  @GuardedBy("lock")
  private boolean offer(Object item, int length, long seq) {
    assert Thread.holdsLock(lock);
    boolean queued = ring.offer(item, length, seq);
    long dropped = ring.takeNewlyDropped();
    if (dropped > 0) {
      droppedCounter.accept(dropped);
    }
    if (!queued) {
      overflow();
      return false;
    }
    depth = ring.size();
    return true;
  }

  @GuardedBy("lock")
  private void overflow() {
    String reason =
        "outgoing queue full ("
            + ring.size()
            + " frames, "
            + ring.queuedBytes()
            + " bytes): the module is not reading; disconnected";
    LOG.log(System.Logger.Level.WARNING, "module {0}: {1}", moduleId, reason);
    markClosed(reason);
  }

  // ------------------------------------------------------------------ writer side

  /**
   * Waits for frames and moves up to {@link #MAX_BATCH} of them into {@code batch} (empty),
   * preceded by an EventsDropped marker when events were dropped since the last one. Returns what
   * to log about the drop (outside the lock), or null.
   */
  String takeBatch(OutboundBatch batch) throws InterruptedException {
    String dropped = null;
    long events = 0;
    synchronized (lock) {
      while (ring.size() == 0) {
        writerWaiting = true;
        try {
          lock.wait();
        } finally {
          writerWaiting = false;
        }
      }
      if (ring.droppedCount() > 0 && !closed) {
        batch.add(droppedMarker(), 0);
        dropped =
            ring.droppedCount()
                + " events dropped (seq "
                + ring.droppedFirst()
                + ".."
                + ring.droppedLast()
                + "): its queue was full";
        ring.clearDropped();
      }
      events = ring.moveTo(batch, MAX_BATCH);
      depth = ring.size();
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
        new EventPayloads.EventsDropped(
            ring.droppedCount(), ring.droppedFirst(), ring.droppedLast());
    return codec.eventFrame(
        codec.encodeShared(EventType.EventsDropped.wireName(), null, (Object) p),
        ring.droppedLast());
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
