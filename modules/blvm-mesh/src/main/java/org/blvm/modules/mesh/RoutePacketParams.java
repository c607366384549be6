package org.blvm.modules.mesh;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.Set;
import org.blvm.protocol.ErrorCode;
import org.blvm.sdk.MethodRefusedException;

/**
 * The params of {@code route_packet}, checked strictly: every key present, no other key, the
 * destination a node id, ttl 0–255, the payload at most {@link LinkCodec#MAX_PAYLOAD} bytes as
 * JSON. Anything else is refused {@code INVALID_PARAMS} naming the key.
 */
record RoutePacketParams(String destination, int ttl, String payloadJson) {
  private static final Set<String> KEYS = Set.of("destination", "payload", "ttl");
  private static final ObjectMapper JSON = new ObjectMapper();

  static RoutePacketParams read(JsonNode params) throws MethodRefusedException {
    if (params == null || !params.isObject()) {
      throw invalid("params must be a map {destination, payload, ttl}");
    }
    for (Iterator<String> it = params.fieldNames(); it.hasNext(); ) {
      String k = it.next();
      if (!KEYS.contains(k)) {
        throw invalid(
            "params has an unknown field \"" + k + "\"; allowed: destination, payload, ttl");
      }
    }
    JsonNode dest = params.path("destination");
    if (!dest.isTextual() || !LinkCodec.NODE_ID.matcher(dest.asText()).matches()) {
      throw invalid("params.destination must be a node id (1-64 of a-z 0-9 . _ -), found " + dest);
    }
    JsonNode ttl = params.path("ttl");
    if (!ttl.isIntegralNumber()
        || !ttl.canConvertToInt()
        || ttl.intValue() < 0
        || ttl.intValue() > 255) {
      throw invalid("params.ttl must be an integer from 0 to 255, found " + ttl);
    }
    if (!params.has("payload")) {
      throw invalid("params.payload is missing (null is allowed)");
    }
    String payload;
    try {
      payload = JSON.writeValueAsString(params.get("payload"));
    } catch (JsonProcessingException e) {
      throw invalid("params.payload cannot be written as JSON");
    }
    if (payload.getBytes(StandardCharsets.UTF_8).length > LinkCodec.MAX_PAYLOAD) {
      throw invalid("params.payload is over " + LinkCodec.MAX_PAYLOAD + " bytes as JSON");
    }
    return new RoutePacketParams(dest.asText(), ttl.intValue(), payload);
  }

  private static MethodRefusedException invalid(String message) {
    return new MethodRefusedException(
        ErrorCode.INVALID_PARAMS, "invalid params for route_packet: " + message);
  }
}
