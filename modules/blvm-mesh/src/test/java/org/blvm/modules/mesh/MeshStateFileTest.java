package org.blvm.modules.mesh;

import static org.blvm.modules.mesh.RunningMesh.until;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import org.blvm.protocol.Api;
import org.blvm.protocol.ErrorCode;
import org.blvm.protocol.Message;
import org.blvm.sdk.MethodRefusedException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code mesh-state.json} as the running module writes and reads it (docs/modules.md, blvm-mesh
 * "State"): its {@code p2p} section, what is read back at the next start, and a bad file.
 */
class MeshStateFileTest {
  @TempDir Path dir;

  private static final String CONFIG = "{\"node_id\":\"a\",\"announce_interval_ms\":600000}";
  private static final ObjectMapper JSON = new ObjectMapper();

  private Path file() {
    return dir.resolve(MeshState.FILE);
  }

  /** The state file as last written, or a missing node while there is none or it is partial. */
  private JsonNode stateFile() {
    try {
      return JSON.readTree(Files.readAllBytes(file()));
    } catch (IOException e) {
      return JSON.missingNode();
    }
  }

  @Test
  void p2pSection_lastStatus_writtenAndNotReadBack() throws Exception {
    try (RunningMesh m = RunningMesh.start(CONFIG, dir)) {
      m.client.stats = new Api.NetworkStats(3, 1, 2, 100, 200);
      m.client.peers =
          List.of(
              new Api.PeerInfo(7, "198.51.100.7:18444", false, "/blvm-mesh-sim:0.1.0/"),
              new Api.PeerInfo(8, "203.0.113.1:8333", true, "/Satoshi:27.0.0/"));
      RouteChangedTest.announceFromPeer(m, 7, "198.51.100.7:18444", "sim-7");
      m.routePacket("{\"destination\":\"a\",\"payload\":null,\"ttl\":0}");

      until(
          "the state file holds the P2P status with its routes",
          () -> stateFile().path("p2p").path("routes").size() == 2);

      JsonNode doc = stateFile();
      assertEquals(
          "{\"peer_count\":3,\"inbound\":1,\"outbound\":2,"
              + "\"mesh_peers\":[{\"peer_id\":7,\"address\":\"198.51.100.7:18444\","
              + "\"user_agent\":\"/blvm-mesh-sim:0.1.0/\",\"node_id\":\"sim-7\"}],"
              + "\"routes\":[{\"destination\":\"sim-7\",\"peer_id\":7,\"node_id\":\"sim-7\","
              + "\"hops\":1},"
              + "{\"destination\":\"sim-7-leaf\",\"peer_id\":7,\"node_id\":\"sim-7\",\"hops\":2}]}",
          doc.get("p2p").toString());
      assertEquals("a", doc.get("node_id").asText());
      assertTrue(
          m.client.logged(
              Message.LogLevel.INFO,
              "p2p status: 3 peers, mesh peers 1 [peer 7 198.51.100.7:18444 /blvm-mesh-sim:0.1.0/"
                  + " node \"sim-7\"], routes learned from peers 2"),
          m.client.logs::toString);
      until(
          "the state file counts the packet",
          () -> stateFile().path("counters").path("routed").asLong() == 1);
    }

    try (RunningMesh again = RunningMesh.start(CONFIG, dir)) {
      assertEquals(1, again.node().routed.get(), "the counters are restored");
      assertEquals(1, again.node().delivered.get());
      MethodRefusedException e =
          assertThrows(
              MethodRefusedException.class,
              () ->
                  again.routePacket("{\"destination\":\"sim-7-leaf\",\"payload\":null,\"ttl\":9}"));
      assertEquals(ErrorCode.NOT_FOUND, e.code(), "routes learned from peers are not read back");
      until(
          "the next P2P status replaces the section",
          () -> stateFile().path("p2p").path("peer_count").asInt(-1) == 0);
      assertEquals(0, stateFile().get("p2p").get("routes").size());
    }
  }

  @Test
  void unreadableFile_movedAside_countersAtZero_moduleRuns() throws Exception {
    byte[] bad = "{\"counters\":{\"routed\":5".getBytes(StandardCharsets.UTF_8);
    assertBadFileSetAside(bad, "state file unreadable, counters start at zero");
  }

  @Test
  void oversizedFile_movedAside_countersAtZero_moduleRuns() throws Exception {
    byte[] big = new byte[(int) MeshState.MAX_BYTES + 1];
    java.util.Arrays.fill(big, (byte) ' ');
    big[0] = '{';
    assertBadFileSetAside(big, "1048577 bytes, over 1048576");
  }

  @Test
  void stateFile_manyRouteChangesInOneSecond_oneWrite_theNextSecondOneMore() throws Exception {
    AtomicLong now = new AtomicLong(1_000_000_000L);
    String listening =
        "{\"node_id\":\"a\",\"listen\":\"127.0.0.1:7010\",\"announce_interval_ms\":600000}";
    try (RunningMesh m = RunningMesh.start(listening, dir, now::get)) {
      m.mesh.writeState(m.node());
      assertEquals(1, m.mesh.stateWrites.count(), "the first write comes at once");

      // a link and twenty announcements, each adding a route, all inside the same second
      LinkPeer p1 = m.link("p1");
      Map<String, Integer> announced = new TreeMap<>();
      for (int i = 0; i < 20; i++) {
        String d = "x" + i;
        announced.put(d, 1);
        p1.send(new LinkFrame.Announce(announced));
        until("route to " + d, () -> m.hasRoute(d, "p1", 2));
        m.mesh.writeState(m.node());
        now.addAndGet(StateWrites.MIN_GAP_NANOS / 40);
      }
      assertEquals(1, m.mesh.stateWrites.count(), "no second write inside the second");
      assertEquals(List.of(), destinations(), "the file as of the first write");

      now.set(2_000_000_000L);
      m.mesh.writeState(m.node());
      m.mesh.writeState(m.node());
      assertEquals(2, m.mesh.stateWrites.count(), "one write for the changes of that second");
      assertEquals(21, destinations().size(), "the file holds every route");

      announced.put("x20", 1);
      p1.send(new LinkFrame.Announce(announced));
      until("route to x20", () -> m.hasRoute("x20", "p1", 2));
      m.mesh.writeState(m.node());
      assertEquals(2, m.mesh.stateWrites.count(), "still the same second");
      now.set(3_000_000_000L);
      m.mesh.writeState(m.node());
      assertEquals(3, m.mesh.stateWrites.count(), "the next second: one more write");
      assertEquals(22, destinations().size());

      now.addAndGet(StateWrites.MIN_GAP_NANOS * 5);
      m.mesh.writeState(m.node());
      assertEquals(3, m.mesh.stateWrites.count(), "nothing changed: no write");
    }
  }

  private List<String> destinations() {
    List<String> d = new ArrayList<>();
    stateFile().path("routes").forEach(r -> d.add(r.get("destination").asText()));
    return d;
  }

  private void assertBadFileSetAside(byte[] content, String logged) throws Exception {
    Files.write(file(), content);

    try (RunningMesh m = RunningMesh.start(CONFIG, dir)) {
      assertTrue(m.client.logged(Message.LogLevel.ERROR, logged), m.client.logs::toString);
      assertArrayEquals(content, Files.readAllBytes(dir.resolve(MeshState.FILE + ".bad")));
      assertEquals(0, m.node().routed.get());
      m.routePacket("{\"destination\":\"a\",\"payload\":null,\"ttl\":0}");
      until(
          "a good state file is written again",
          () -> stateFile().path("counters").path("routed").asLong() == 1);
    }
  }
}
