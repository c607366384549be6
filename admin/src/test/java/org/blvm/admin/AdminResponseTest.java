package org.blvm.admin;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class AdminResponseTest {
  private static AdminResponse roundTrip(AdminResponse r) throws IOException {
    byte[] line = r.encode();
    return AdminResponse.decode(Arrays.copyOf(line, line.length - 1));
  }

  @Test
  void encodeDecode_eachKind_roundTrips() throws Exception {
    ObjectNode body = JsonNodeFactory.instance.objectNode().put("state", "STARTED");
    assertEquals(
        "{\"id\":3,\"ok\":true,\"result\":{\"state\":\"STARTED\"}}\n",
        new String(AdminResponse.result(3, body).encode(), UTF_8));
    assertEquals(body, roundTrip(AdminResponse.result(3, body)).body());
    assertEquals(AdminResponse.Kind.EVENT, roundTrip(AdminResponse.event(4, body)).kind());
    ObjectNode details = JsonNodeFactory.instance.objectNode();
    details.putArray("problems").add("line 2: bad");
    AdminResponse e =
        roundTrip(
            AdminResponse.error(
                new AdminException(AdminErrorCode.INVALID_POLICY, "refused", details, 9)));
    assertEquals(9, e.id());
    assertEquals(AdminErrorCode.INVALID_POLICY, e.error().code());
    assertEquals("refused", e.error().reason());
    assertEquals(details, e.error().details());
  }

  @Test
  void encode_errorWithoutRequest_nullId() throws Exception {
    AdminResponse busy =
        AdminResponse.error(new AdminException(AdminErrorCode.BUSY, "8 connections"));
    assertTrue(new String(busy.encode(), UTF_8).startsWith("{\"id\":null,\"ok\":false"));
    assertEquals(-1, roundTrip(busy).id());
  }

  @Test
  void decode_notAResponse_ioExceptionNamingIt() {
    for (String s :
        new String[] {
          "[]",
          "{}",
          "{\"id\":1}",
          "{\"id\":1,\"ok\":true}",
          "{\"id\":1,\"ok\":false,\"error\":{}}",
          "{\"id\":\"x\",\"ok\":true,\"result\":{}}",
          "{\"id\":1,\"ok\":true,\"result\":{},\"x\":1}"
        }) {
      IOException e =
          assertThrows(IOException.class, () -> AdminResponse.decode(s.getBytes(UTF_8)), s);
      assertTrue(e.getMessage().startsWith("the node"), e.getMessage());
    }
  }
}
