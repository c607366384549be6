package org.blvm.loader;

import com.fasterxml.jackson.databind.JsonNode;
import org.blvm.protocol.SharedEvent;

/** Where the {@link Dispatcher} hands the events modules publish. */
interface EventSink {
  /**
   * Fans out an event a module published (already encoded, with its stamped source) and tells the
   * node; returns how many modules it was queued for. Never blocks.
   */
  int publishFromModule(SharedEvent event, String source, JsonNode payload);
}
