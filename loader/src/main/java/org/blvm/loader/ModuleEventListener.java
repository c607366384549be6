package org.blvm.loader;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Receives events that modules publish, for the node's own use. Called on the publishing module's
 * reader thread: return quickly and do not block.
 */
@FunctionalInterface
public interface ModuleEventListener {
  /**
   * @param source the authenticated id of the publishing module
   * @param type the custom topic
   * @param payload the payload (read-only)
   */
  void onModuleEvent(String source, String type, JsonNode payload);
}
