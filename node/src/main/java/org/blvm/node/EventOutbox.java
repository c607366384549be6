package org.blvm.node;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import org.blvm.protocol.EventType;

/**
 * Events in the order the chain's state changed, waiting to be published. Bounded: beyond {@link
 * #MAX_EVENTS} the oldest are dropped and counted (only when nobody drains it). Guarded by the
 * chain's lock.
 */
final class EventOutbox {
  static final int MAX_EVENTS = 100_000;

  /** One event: its type and payload. */
  record Event(EventType type, Record payload) {}

  private final ArrayDeque<Event> events = new ArrayDeque<>();
  private boolean quiet;
  private long dropped;

  void emit(EventType type, Record payload) {
    if (!type.payloadType().isInstance(payload)) {
      throw new IllegalArgumentException(type + " takes a " + type.payloadType().getSimpleName());
    }
    if (quiet) {
      return;
    }
    if (events.size() >= MAX_EVENTS) {
      events.poll();
      dropped++;
    }
    events.add(new Event(type, payload));
  }

  /** While quiet (building the chain's history) nothing is recorded. */
  void quiet(boolean q) {
    quiet = q;
  }

  List<Event> take() {
    List<Event> all = new ArrayList<>(events);
    events.clear();
    return all;
  }

  boolean isEmpty() {
    return events.isEmpty();
  }

  long dropped() {
    return dropped;
  }
}
