package org.blvm.node;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.blvm.protocol.EventType;

/** Records every published event, with the thread that published it. */
final class RecordingSink implements EventSink {
  final List<EventOutbox.Event> events = new CopyOnWriteArrayList<>();
  final List<String> threads = new CopyOnWriteArrayList<>();

  @Override
  public void publish(EventType type, Record payload) {
    events.add(new EventOutbox.Event(type, payload));
    threads.add(Thread.currentThread().getName());
  }

  <T extends Record> List<T> of(Class<T> type) {
    List<T> r = new ArrayList<>();
    for (EventOutbox.Event e : events) {
      if (type.isInstance(e.payload())) {
        r.add(type.cast(e.payload()));
      }
    }
    return r;
  }

  List<EventType> types() {
    List<EventType> r = new ArrayList<>();
    for (EventOutbox.Event e : events) {
      r.add(e.type());
    }
    return r;
  }

  void clear() {
    events.clear();
    threads.clear();
  }
}
