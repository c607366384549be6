package org.blvm.sdk;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import org.blvm.protocol.Codec;
import org.blvm.protocol.EventPayloads;
import org.blvm.protocol.ProtocolException;

/**
 * One {@code ConfigLoaded} event from the node, parsed once when it is read: its payload, the
 * visible config ({@code config_json} as a tree) and this module's own section of it ({@code
 * modules.<id>}).
 *
 * @param payload the decoded payload; null when it is malformed
 * @param visible the visible config; null when {@code config_json} is absent or not JSON
 * @param own this module's section, a map; null when there is none
 * @param malformed why the payload does not match its schema; null when it does
 */
record ConfigUpdate(
    EventPayloads.ConfigLoaded payload,
    JsonNode visible,
    JsonNode own,
    ProtocolException malformed) {
  private static final ObjectMapper JSON = new ObjectMapper();

  static ConfigUpdate parse(Codec codec, JsonNode payload, String moduleId) {
    EventPayloads.ConfigLoaded p;
    try {
      p = codec.toValue(payload, EventPayloads.ConfigLoaded.class);
    } catch (ProtocolException e) {
      return new ConfigUpdate(null, null, null, e);
    }
    JsonNode visible = null;
    if (p.configJson() != null) {
      try {
        visible = JSON.readTree(p.configJson());
      } catch (IOException | RuntimeException e) {
        visible = null;
      }
    }
    JsonNode own =
        visible == null || moduleId == null ? null : visible.path("modules").get(moduleId);
    return new ConfigUpdate(p, visible, own != null && own.isObject() ? own : null, null);
  }
}
