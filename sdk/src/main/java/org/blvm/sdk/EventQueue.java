package org.blvm.sdk;

import java.util.List;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The bounded queue from the holder of the client's read lock to the event thread: a ring that the
 * reading side appends a whole pass's events to under one acquisition of its lock ({@link
 * #offerAll}), and that the event thread empties under one acquisition ({@link #takeAll}). The
 * event thread is signalled only when it waits, so a burst costs one wake-up per hand-over at most,
 * not one per event. The ring starts small and doubles up to the capacity.
 *
 * @param <T> the queued element
 */
final class EventQueue<T> {
  private static final int INITIAL = 256;

  private final int capacity;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition nonEmpty = lock.newCondition();

  /**
   * Guarded by lock: queued elements are ring[head], ring[head + 1], ... (mod length), size of
   * them.
   */
  private Object[] ring;

  private int head;
  private int size;

  /** Guarded by lock: the event thread waits in {@link #takeAll}. */
  private boolean waiting;

  EventQueue(int capacity) {
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity must be >= 1, found " + capacity);
    }
    this.capacity = capacity;
    this.ring = new Object[Math.min(capacity, INITIAL)];
  }

  /**
   * Appends {@code items} in order, as many as fit (a prefix of them), and wakes the event thread
   * if it waits.
   *
   * @return how many were queued
   */
  int offerAll(List<T> items) {
    if (items.isEmpty()) {
      return 0;
    }
    lock.lock();
    try {
      int n = Math.min(items.size(), capacity - size);
      if (n <= 0) {
        return 0;
      }
      if (size + n > ring.length) {
        grow(size + n);
      }
      int mask = ring.length;
      int at = head + size;
      for (int i = 0; i < n; i++) {
        ring[(at + i) % mask] = items.get(i);
      }
      size += n;
      if (waiting) {
        nonEmpty.signal();
      }
      return n;
    } finally {
      lock.unlock();
    }
  }

  /** Waits until something is queued, then moves everything queued into {@code out}, in order. */
  @SuppressWarnings("unchecked")
  void takeAll(List<T> out) throws InterruptedException {
    lock.lock();
    try {
      while (size == 0) {
        waiting = true;
        try {
          nonEmpty.await();
        } finally {
          waiting = false;
        }
      }
      int length = ring.length;
      for (int i = 0; i < size; i++) {
        int at = (head + i) % length;
        out.add((T) ring[at]);
        ring[at] = null;
      }
      head = 0;
      size = 0;
    } finally {
      lock.unlock();
    }
  }

  /** Forgets everything queued. */
  void clear() {
    lock.lock();
    try {
      java.util.Arrays.fill(ring, null);
      head = 0;
      size = 0;
    } finally {
      lock.unlock();
    }
  }

  /** Elements queued now (for tests). */
  int size() {
    lock.lock();
    try {
      return size;
    } finally {
      lock.unlock();
    }
  }

  private void grow(int need) {
    int length = ring.length;
    while (length < need) {
      length = (int) Math.min(capacity, 2L * length);
    }
    Object[] bigger = new Object[length];
    for (int i = 0; i < size; i++) {
      bigger[i] = ring[(head + i) % ring.length];
    }
    ring = bigger;
    head = 0;
  }
}
