package org.blvm.node;

import org.blvm.protocol.EventType;

/**
 * Where the simulation's events go. A node host passes {@code moduleManager::publish}; tests record
 * them. Called by one thread at a time, in event order; it must not block (the loader's publish
 * only enqueues).
 */
@FunctionalInterface
public interface EventSink {
  void publish(EventType type, Record payload);
}
