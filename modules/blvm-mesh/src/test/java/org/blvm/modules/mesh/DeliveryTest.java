package org.blvm.modules.mesh;

import static org.blvm.modules.mesh.RunningMesh.until;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.stream.IntStream;
import org.blvm.protocol.Message;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Packets for this node and those it forwards (docs/modules.md, "Delivery" and forwarding). */
class DeliveryTest {
  @TempDir Path dir;

  private static final String DROPPED = "1024 deliveries and events already wait";

  @Test
  void noDeliverModule_droppedWithAWarning() throws Exception {
    try (RunningMesh m = RunningMesh.start("{\"node_id\":\"a\"}", dir)) {
      m.routePacket("{\"destination\":\"a\",\"payload\":null,\"ttl\":0}");

      assertTrue(
          m.client.logged(
              Message.LogLevel.WARN, "packet from \"a\" dropped: no deliver_module is configured"),
          m.client.logs::toString);
      assertEquals(List.of(), m.client.calls);
    }
  }

  @Test
  void deliveries_inOrderOnOneThread_atMost1024Waiting() throws Exception {
    try (RunningMesh m = RunningMesh.start("{\"node_id\":\"a\",\"deliver_module\":\"r\"}", dir)) {
      CountDownLatch gate = new CountDownLatch(1);
      m.client.callGate = gate;
      m.routePacket("{\"destination\":\"a\",\"payload\":0,\"ttl\":0}");
      until("the first delivery is under way", () -> m.client.calls.size() == 1);
      for (int i = 1; i <= Mesh.OUT_QUEUE; i++) {
        m.routePacket("{\"destination\":\"a\",\"payload\":" + i + ",\"ttl\":0}");
      }
      assertFalse(m.client.logged(Message.LogLevel.WARN, DROPPED), m.client.logs::toString);

      m.routePacket("{\"destination\":\"a\",\"payload\":-1,\"ttl\":0}");

      assertTrue(
          m.client.logged(Message.LogLevel.WARN, "delivery to r dropped: " + DROPPED),
          m.client.logs::toString);
      gate.countDown();
      until("every waiting delivery is made", () -> m.client.calls.size() == Mesh.OUT_QUEUE + 1);
      assertEquals(
          IntStream.rangeClosed(0, Mesh.OUT_QUEUE).boxed().toList(),
          m.client.calls.stream().map(c -> c.params().get("payload").asInt()).toList(),
          "in the order they arrived, the one beyond the bound left out");
      assertEquals(
          List.of("blvm-mesh-out"),
          m.client.calls.stream().map(FakeClient.Call::thread).distinct().toList());
    }
  }

  @Test
  void forwardedPacketWithoutRoute_droppedWithAWarning_counted() throws Exception {
    try (RunningMesh m =
        RunningMesh.start("{\"node_id\":\"a\",\"listen\":\"127.0.0.1:7010\"}", dir)) {
      LinkPeer p = m.link("p");

      p.send(new LinkFrame.Packet("p", "z", 5, 1, "{}"));

      until(
          "the packet is dropped with a warning",
          () ->
              m.client.logged(
                  Message.LogLevel.WARN,
                  "packet from \"p\" to \"z\" (arrived from \"p\", ttl 5, hops 1) dropped: no"
                      + " route to node \"z\""));
      assertEquals(1, m.node().dropped.get());
      assertEquals(0, m.node().forwarded.get());
    }
  }
}
