package org.blvm.modules.mesh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import org.blvm.protocol.ErrorCode;
import org.blvm.sdk.MethodRefusedException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code route_packet} through the module's request handler: its answer and its refusals
 * (docs/modules.md, "{@code route_packet}").
 */
class RoutePacketTest {
  @TempDir Path dir;

  private static final String CONFIG =
      "{\"node_id\":\"a\",\"listen\":\"127.0.0.1:7010\",\"announce_interval_ms\":600000}";

  /** A payload of about 32 KiB as JSON, the largest a packet carries. */
  private static final String BIG = "\"" + "x".repeat(LinkCodec.MAX_PAYLOAD - 2) + "\"";

  @Test
  void nextHopsQueueFull_unavailableLinkBusy() throws Exception {
    try (RunningMesh m = RunningMesh.start(CONFIG, dir)) {
      m.linkDeaf("b");
      String params = "{\"destination\":\"b\",\"payload\":" + BIG + ",\"ttl\":4}";

      // b reads nothing: the socket's buffers fill, then the link's queue
      MethodRefusedException busy = null;
      int sent = 0;
      for (int i = 0; i < 10_000 && busy == null; i++) {
        try {
          JsonNode answer = m.routePacket(params);
          assertEquals(
              "{\"destination\":\"b\",\"next_hop\":\"b\",\"hops\":1,\"ttl\":3}", answer.toString());
          sent++;
        } catch (MethodRefusedException e) {
          busy = e;
        }
      }

      assertNotNull(busy, "refused once the link's queue is full");
      assertTrue(sent >= Link.QUEUE, sent + " packets queued or written before");
      assertEquals(ErrorCode.UNAVAILABLE, busy.code());
      assertEquals(
          "link busy: the link to \"b\" is closed or its queue is full", busy.getMessage());
      assertEquals(sent, m.node().routed.get(), "the refused packet is not counted");
    }
  }

  @Test
  void knownOnlyFromAP2pPeer_unavailablePeerRoute_namingThePeer() throws Exception {
    try (RunningMesh m = RunningMesh.start(CONFIG, dir)) {
      RouteChangedTest.announceFromPeer(m, 7, "198.51.100.7:18444", "sim-7");

      MethodRefusedException e =
          assertThrows(
              MethodRefusedException.class,
              () -> m.routePacket("{\"destination\":\"sim-7-leaf\",\"payload\":null,\"ttl\":9}"));

      assertEquals(ErrorCode.UNAVAILABLE, e.code());
      assertTrue(
          e.getMessage()
              .startsWith(
                  "peer route: node \"sim-7-leaf\" is 2 hops away via P2P peer 7"
                      + " (198.51.100.7:18444)"),
          e.getMessage());
    }
  }

  @Test
  void noRoute_ttlExhausted_invalid_refusedWithTheDocumentedCodes() throws Exception {
    try (RunningMesh m = RunningMesh.start(CONFIG, dir)) {
      m.link("b");

      MethodRefusedException none =
          assertThrows(
              MethodRefusedException.class,
              () -> m.routePacket("{\"destination\":\"z\",\"payload\":null,\"ttl\":9}"));
      MethodRefusedException ttl =
          assertThrows(
              MethodRefusedException.class,
              () -> m.routePacket("{\"destination\":\"b\",\"payload\":null,\"ttl\":0}"));
      MethodRefusedException invalid =
          assertThrows(
              MethodRefusedException.class,
              () -> m.routePacket("{\"destination\":\"b\",\"ttl\":1}"));

      assertEquals(ErrorCode.NOT_FOUND, none.code());
      assertEquals("no route: no route to node \"z\"", none.getMessage());
      assertEquals(ErrorCode.UNAVAILABLE, ttl.code());
      assertTrue(
          ttl.getMessage()
              .startsWith("ttl exhausted: ttl 0 does not reach node \"b\", 1 hops away via \"b\""),
          ttl.getMessage());
      assertEquals(ErrorCode.INVALID_PARAMS, invalid.code());
      assertTrue(
          invalid.getMessage().startsWith("invalid params for route_packet:"),
          invalid.getMessage());
      assertEquals(
          "{\"destination\":\"a\",\"next_hop\":null,\"hops\":0,\"ttl\":0}",
          m.routePacket("{\"destination\":\"a\",\"payload\":null,\"ttl\":0}").toString(),
          "a packet for this node itself");
    }
  }
}
