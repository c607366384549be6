package org.blvm.loader;

import java.util.Arrays;
import org.blvm.policy.ModulePolicy;
import org.blvm.protocol.DirectEncoder;
import org.blvm.protocol.SharedEvent;

/**
 * The frames queued on one connection, in order, with their bounds (frames and bytes) and the
 * overflow rule: a ring (its arrays a power of two long) of {@code byte[]} control frames with seq
 * 0 and {@link SharedEvent}s with their seq, and the range of events dropped since the last
 * EventsDropped marker. A queued event holds one count of a pooled {@link SharedEvent} ({@link
 * SharedEvent#retain}): the ring releases it when it drops the event or is cleared, and hands it on
 * to the writer's batch ({@link #moveTo}), which releases it once the frame was written. Not
 * thread-safe: {@link OutboundQueue}'s lock guards every call.
 */
final class FrameRing {
  private final DirectEncoder encoder;
  private final boolean dropOldest;
  private final int maxFrames;
  private final long maxBytes;

  private Object[] items = new Object[64];
  private long[] seqs = new long[64];
  private int head;
  private int size;
  private long queuedBytes;

  /** Events dropped since the last EventsDropped marker (0: none), and their seq range. */
  private long droppedCount;

  private long droppedFirst;
  private long droppedLast;

  /** Events dropped by {@link #offer} and not yet reported ({@link #takeNewlyDropped}). */
  private long newlyDropped;

  FrameRing(DirectEncoder encoder, ModulePolicy.EventOverflow rule, int maxFrames, long maxBytes) {
    this.encoder = encoder;
    this.dropOldest = rule == ModulePolicy.EventOverflow.DROP_OLDEST;
    this.maxFrames = maxFrames;
    this.maxBytes = maxBytes;
  }

  int size() {
    return size;
  }

  long queuedBytes() {
    return queuedBytes;
  }

  /**
   * Queues the frame (of {@code length} bytes; a shared event is retained) if it fits, under {@code
   * drop_oldest} after dropping the oldest events until it does; false when it does not fit
   * (nothing was queued; the events dropped meanwhile stay dropped: {@link #takeNewlyDropped}).
   */
  boolean offer(Object item, int length, long seq) {
    if (!fits(length) && dropOldest) {
      newlyDropped += dropOldestEvents(length);
    }
    if (!fits(length)) {
      return false;
    }
    if (seq != 0) {
      ((SharedEvent) item).retain();
    }
    addLast(item, seq);
    queuedBytes += length;
    return true;
  }

  /** Events dropped to make room since the last call. */
  long takeNewlyDropped() {
    long n = newlyDropped;
    newlyDropped = 0;
    return n;
  }

  private boolean fits(int length) {
    return size < maxFrames && queuedBytes + length <= maxBytes;
  }

  private int slot(int i) {
    return (head + i) & (items.length - 1);
  }

  /** Queues a frame (seq 0) or a retained event whatever the bounds (the close's last frames). */
  void addLast(Object item, long seq) {
    if (size == items.length) {
      Object[] grownItems = new Object[items.length * 2];
      long[] grownSeqs = new long[items.length * 2];
      for (int i = 0; i < size; i++) {
        grownItems[i] = items[slot(i)];
        grownSeqs[i] = seqs[slot(i)];
      }
      items = grownItems;
      seqs = grownSeqs;
      head = 0;
    }
    items[slot(size)] = item;
    seqs[slot(size)] = seq;
    size++;
  }

  /** The bytes the queued frame at ring index {@code s} takes on the wire. */
  private int lengthAt(int s) {
    return seqs[s] == 0
        ? ((byte[]) items[s]).length
        : encoder.eventFrameLength((SharedEvent) items[s], seqs[s]);
  }

  /**
   * Drops queued events, oldest first, until {@code length} fits. The control frames among them
   * stay, in order, and close up behind the ring's new head. Returns how many were dropped.
   */
  private long dropOldestEvents(int length) {
    long n = 0;
    int scanned = 0;
    int live = size;
    while (scanned < size && !(live < maxFrames && queuedBytes + length <= maxBytes)) {
      int s = slot(scanned++);
      if (seqs[s] == 0) {
        continue; // responses, invokes and the close are never dropped
      }
      queuedBytes -= lengthAt(s);
      recordDropped(seqs[s], seqs[s], 1);
      ((SharedEvent) items[s]).release();
      items[s] = null;
      live--;
      n++;
    }
    if (n == 0) {
      return 0;
    }
    // move the kept frames of the scanned part to its end, in order, and start the ring there
    int to = scanned - 1;
    for (int from = scanned - 1; from >= 0; from--) {
      int s = slot(from);
      if (items[s] != null) {
        int t = slot(to--);
        items[t] = items[s];
        seqs[t] = seqs[s];
      }
    }
    for (int i = 0; i <= to; i++) {
      items[slot(i)] = null;
    }
    head = slot(to + 1);
    size = live;
    return n;
  }

  /** Counts events {@code first..last} ({@code n} of them) as dropped. */
  void recordDropped(long first, long last, long n) {
    if (droppedCount == 0) {
      droppedFirst = first;
    }
    droppedLast = last;
    droppedCount += n;
  }

  long droppedCount() {
    return droppedCount;
  }

  long droppedFirst() {
    return droppedFirst;
  }

  long droppedLast() {
    return droppedLast;
  }

  /** The EventsDropped marker for the range was queued: a new range starts. */
  void clearDropped() {
    droppedCount = 0;
  }

  /** Drops every frame (releasing the events). */
  void clear() {
    for (int i = 0; i < size; i++) {
      int s = slot(i);
      if (seqs[s] != 0) {
        ((SharedEvent) items[s]).release();
      }
    }
    Arrays.fill(items, null);
    head = 0;
    size = 0;
    queuedBytes = 0;
  }

  /**
   * Moves up to {@code max} frames, oldest first, into {@code batch}, which takes over the events'
   * counts. Returns how many of them were events.
   */
  long moveTo(OutboundBatch batch, int max) {
    long events = 0;
    for (int i = 0; i < max && size > 0; i++) {
      queuedBytes -= lengthAt(head);
      batch.add(items[head], seqs[head]);
      if (seqs[head] != 0) {
        events++;
      }
      items[head] = null;
      head = slot(1);
      size--;
    }
    return events;
  }
}
