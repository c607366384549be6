package org.blvm.modules.mesh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.blvm.protocol.ErrorCode;
import org.blvm.sdk.MethodRefusedException;
import org.junit.jupiter.api.Test;

class RoutePacketParamsTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static String refused(String params) throws Exception {
    JsonNode p = params == null ? null : JSON.readTree(params);
    MethodRefusedException e =
        assertThrows(MethodRefusedException.class, () -> RoutePacketParams.read(p));
    assertEquals(ErrorCode.INVALID_PARAMS, e.code());
    return e.getMessage();
  }

  @Test
  void read_valid_keepsPayloadAsJson() throws Exception {
    RoutePacketParams p =
        RoutePacketParams.read(
            JSON.readTree("{\"destination\":\"node-b\",\"payload\":{\"a\":[1,2]},\"ttl\":3}"));

    assertEquals(new RoutePacketParams("node-b", 3, "{\"a\":[1,2]}"), p);
    assertEquals(
        "null",
        RoutePacketParams.read(JSON.readTree("{\"destination\":\"b\",\"payload\":null,\"ttl\":0}"))
            .payloadJson());
  }

  @Test
  void read_invalid_refusedNamingTheKey() throws Exception {
    assertEquals(
        "invalid params for route_packet: params must be a map {destination, payload, ttl}",
        refused(null));
    assertEquals(
        "invalid params for route_packet: params has an unknown field \"x\"; allowed:"
            + " destination, payload, ttl",
        refused("{\"destination\":\"b\",\"payload\":1,\"ttl\":1,\"x\":1}"));
    assertEquals(
        "invalid params for route_packet: params.destination must be a node id (1-64 of a-z 0-9"
            + " . _ -), found \"B B\"",
        refused("{\"destination\":\"B B\",\"payload\":1,\"ttl\":1}"));
    assertEquals(
        "invalid params for route_packet: params.ttl must be an integer from 0 to 255, found 256",
        refused("{\"destination\":\"b\",\"payload\":1,\"ttl\":256}"));
    assertEquals(
        "invalid params for route_packet: params.ttl must be an integer from 0 to 255, found -1",
        refused("{\"destination\":\"b\",\"payload\":1,\"ttl\":-1}"));
    assertEquals(
        "invalid params for route_packet: params.payload is missing (null is allowed)",
        refused("{\"destination\":\"b\",\"ttl\":1}"));
    String big = "x".repeat(LinkCodec.MAX_PAYLOAD);
    assertEquals(
        "invalid params for route_packet: params.payload is over 32768 bytes as JSON",
        refused("{\"destination\":\"b\",\"payload\":\"" + big + "\",\"ttl\":1}"));
  }
}
