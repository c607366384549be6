package org.blvm.loader;

import java.io.IOException;
import java.io.OutputStream;
import org.blvm.protocol.DirectEncoder;
import org.blvm.protocol.SharedEvent;

/**
 * One batch of the writer thread, reused from batch to batch: up to {@link OutboundQueue#MAX_BATCH}
 * frames and an EventsDropped marker, in order. A frame is either a whole frame ({@code byte[]}: a
 * control frame, the marker or {@link OutboundQueue#END}) or an event: the one {@link SharedEvent}
 * every subscriber shares and this connection's sequence number for it. An event's frame is never
 * built: {@link #writeEvent} writes its head (length prefix, kind, seq) from a reused scratch array
 * and then the shared bytes. The batch holds the count of a pooled event that its queue held
 * ({@link FrameRing#moveTo}) and releases it in {@link #clear}, after the frame was written. Used
 * by one thread at a time.
 */
final class OutboundBatch {
  private final DirectEncoder encoder;
  private final Object[] items = new Object[OutboundQueue.MAX_BATCH + 1];
  private final long[] seqs = new long[OutboundQueue.MAX_BATCH + 1];
  private final byte[] header = new byte[DirectEncoder.MAX_EVENT_HEADER_BYTES];
  private int size;

  OutboundBatch(DirectEncoder encoder) {
    this.encoder = encoder;
  }

  /** Adds a frame: a whole frame ({@code seq} 0) or a shared event with its sequence number. */
  void add(Object item, long seq) {
    items[size] = item;
    seqs[size] = seq;
    size++;
  }

  int size() {
    return size;
  }

  /** The sequence number of the event at {@code i} (0: a whole frame). */
  long seq(int i) {
    return seqs[i];
  }

  boolean isEvent(int i) {
    return seqs[i] != 0;
  }

  /** The whole frame at {@code i} (not an event). */
  byte[] frame(int i) {
    return (byte[]) items[i];
  }

  /** Writes the event at {@code i} as its frame; returns the frame's length. */
  int writeEvent(int i, OutputStream out) throws IOException {
    return encoder.writeEventFrame(out, (SharedEvent) items[i], seqs[i], header);
  }

  /** The bytes of the frame at {@code i}, for tests: an event's frame is built here. */
  byte[] bytes(int i) {
    return isEvent(i) ? encoder.eventFrame((SharedEvent) items[i], seqs[i]) : frame(i);
  }

  /**
   * Empties the batch and lets go of its frames, releasing its events: called once they are written
   * (or will never be), never while a frame is being written.
   */
  void clear() {
    for (int i = 0; i < size; i++) {
      if (seqs[i] != 0) {
        ((SharedEvent) items[i]).release();
      }
    }
    java.util.Arrays.fill(items, 0, size, null);
    size = 0;
  }
}
