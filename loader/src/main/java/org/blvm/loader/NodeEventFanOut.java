package org.blvm.loader;

import org.blvm.protocol.Codec;
import org.blvm.protocol.SharedEvent;
import org.blvm.protocol.SharedEventPool;

/**
 * The relay's task for a node or lifecycle event ({@link EventRelay#relay(EventRelay.Task, Object,
 * Object)} with the event's wire type and payload): encodes it once into an event of its own pool,
 * queues it for every subscriber ({@link ModuleRegistry#fanOut}), each of whose queues retains it,
 * and releases its own count. One instance serves every event, so relaying one allocates nothing
 * once the pool has warmed up.
 */
final class NodeEventFanOut implements EventRelay.Task {
  private final Codec codec;
  private final ModuleRegistry modules;
  private final SharedEventPool pool = new SharedEventPool();

  NodeEventFanOut(Codec codec, ModuleRegistry modules) {
    this.codec = codec;
    this.modules = modules;
  }

  @Override
  public void run(Object type, Object payload) {
    SharedEvent e = codec.encodeShared((String) type, null, payload, pool);
    try {
      modules.fanOut(e);
    } finally {
      e.release();
    }
  }
}
