package org.blvm.modules.mesh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import org.junit.jupiter.api.Test;

class MeshConfigTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static MeshConfig read(String json) throws Exception {
    return MeshConfig.read(JSON.readTree(json));
  }

  private static String refused(String json) {
    return assertThrows(MeshConfig.InvalidConfigException.class, () -> read(json)).getMessage();
  }

  @Test
  void read_nodeIdOnly_defaults() throws Exception {
    assertEquals(
        new MeshConfig("node-a", "", List.of(), 8, "", "mesh_packet", 10_000),
        read("{\"node_id\":\"node-a\"}"));
  }

  @Test
  void read_everything_andHostPortParts() throws Exception {
    MeshConfig c =
        read(
            "{\"node_id\":\"a\",\"listen\":\"0.0.0.0:7010\",\"peers\":[\"b.example.org:7010\","
                + "\"[2001:db8::1]:7011\"],\"max_links\":2,\"deliver_module\":\"recv\","
                + "\"deliver_method\":\"take\",\"announce_interval_ms\":1000}");

    assertEquals(List.of("b.example.org:7010", "[2001:db8::1]:7011"), c.peers());
    assertEquals("2001:db8::1", MeshConfig.host(c.peers().get(1)));
    assertEquals(7011, MeshConfig.port(c.peers().get(1)));
    assertEquals("b.example.org", MeshConfig.host(c.peers().get(0)));
  }

  @Test
  void read_invalid_everyProblemNamed() {
    String m =
        refused(
            "{\"listen\":\"nowhere\",\"peers\":[\"a:1\",\"a:1\",\"b:99999\",7],"
                + "\"max_links\":0,\"announce_interval_ms\":10,\"extra\":1}");

    assertTrue(m.contains("unknown key \"extra\""), m);
    assertTrue(m.contains("node_id must be 1-64 characters"), m);
    assertTrue(m.contains("listen must be \"ip:port\" or empty, found \"nowhere\""), m);
    assertTrue(m.contains("peers repeats \"a:1\""), m);
    assertTrue(m.contains("peers entry \"b:99999\" is not \"host:port\""), m);
    assertTrue(m.contains("peers entry 7 is not"), m);
    assertTrue(m.contains("max_links must be an integer from 1 to 64, found 0"), m);
    assertTrue(m.contains("announce_interval_ms must be an integer from 1000 to 600000"), m);
  }
}
