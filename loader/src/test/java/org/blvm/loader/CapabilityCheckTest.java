package org.blvm.loader;

import static org.blvm.loader.LoaderFixture.H1;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.verifyNoInteractions;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.blvm.protocol.Api;
import org.blvm.protocol.Capability;
import org.blvm.protocol.Codec;
import org.blvm.protocol.ErrorCode;
import org.blvm.protocol.Message;
import org.blvm.protocol.NodeMethod;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Driven by the method catalog: every NodeAPI method is refused NOT_CAPABLE (naming its capability)
 * to a module without that capability, never reaching the node's backend (a mock that must see no
 * call), and gets past the check for a module with it. A new method without a sample here fails the
 * build.
 */
class CapabilityCheckTest {
  private static final Codec CODEC = Codec.withDefaults();

  @TempDir Path tmp;

  /** A port free when the class loads: the "full" module's policy listens there. */
  private static final int LISTEN_PORT = freePort();

  private static int freePort() {
    try (java.net.ServerSocket s =
        new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  static Map<NodeMethod, Object> samples() {
    Map<NodeMethod, Object> m = new EnumMap<>(NodeMethod.class);
    Api.NoParams none = new Api.NoParams();
    m.put(NodeMethod.GET_BLOCK, new Api.HashParams(H1));
    m.put(NodeMethod.GET_BLOCK_HEADER, new Api.HashParams(H1));
    m.put(NodeMethod.GET_BLOCK_BY_HEIGHT, new Api.HeightParams(1));
    m.put(NodeMethod.GET_BLOCK_HASH, new Api.HeightParams(1));
    m.put(NodeMethod.GET_CHAIN_TIP, none);
    m.put(NodeMethod.GET_BLOCK_HEIGHT, none);
    m.put(NodeMethod.GET_TRANSACTION, new Api.TxidParams(H1));
    m.put(NodeMethod.GET_UTXO, new Api.UtxoParams(H1, 0));
    m.put(NodeMethod.GET_MEMPOOL_TRANSACTIONS, none);
    m.put(NodeMethod.GET_MEMPOOL_TRANSACTION, new Api.TxidParams(H1));
    m.put(NodeMethod.GET_MEMPOOL_SIZE, none);
    m.put(NodeMethod.GET_FEE_ESTIMATE, new Api.FeeEstimateParams(6));
    m.put(NodeMethod.SEND_TRANSACTION, new Api.RawTransactionParams("00"));
    m.put(NodeMethod.GET_NETWORK_STATS, none);
    m.put(NodeMethod.GET_NETWORK_PEERS, none);
    m.put(NodeMethod.GET_BLOCK_TEMPLATE, none);
    m.put(NodeMethod.SUBMIT_BLOCK, new Api.SubmitBlockParams("00"));
    m.put(NodeMethod.GET_MINING_INFO, none);
    m.put(NodeMethod.SUBSCRIBE_EVENTS, new Api.SubscribeParams(List.of("x.topic")));
    m.put(NodeMethod.PUBLISH_EVENT, new Api.PublishEventParams("x.topic", CODEC.toTree(Map.of())));
    m.put(NodeMethod.CALL_MODULE, new Api.CallModuleParams("nobody", "echo", null));
    m.put(NodeMethod.REGISTER_MODULE_API, new Api.RegisterApiParams(List.of()));
    m.put(NodeMethod.DISCOVER_MODULES, none);
    m.put(NodeMethod.REPORT_METRIC, new Api.MetricParams("m", 1.0, null));
    m.put(NodeMethod.NET_CONNECT, new Api.NetConnectParams("127.0.0.1", 1));
    m.put(NodeMethod.NET_LISTEN, new Api.NetListenParams("127.0.0.1:" + LISTEN_PORT));
    return m;
  }

  @Test
  void samples_coverTheWholeCatalog() {
    assertEquals(Arrays.asList(NodeMethod.values()), List.copyOf(samples().keySet()));
  }

  @Test
  void everyMethod_withoutItsCapability_notCapableNamingIt_andTheNodeIsNeverCalled()
      throws Exception {
    NodeBackend backend = mock(NodeBackend.class);
    try (LoaderFixture fx =
            new LoaderFixture(tmp).module("bare", "", "").start(b -> b.backend(backend));
        RawClient c = fx.handshake("bare")) {
      long id = 0;
      for (Map.Entry<NodeMethod, Object> e : samples().entrySet()) {
        c.send(new Message.Request(++id, e.getKey().wireName(), CODEC.toTree(e.getValue())));
        Message.Response r = c.expect(Message.Response.class);
        assertEquals(id, r.id());
        assertNotNull(r.error(), e.getKey() + " was allowed without a capability");
        assertEquals(ErrorCode.NOT_CAPABLE, r.error().code(), e.getKey().wireName());
        assertEquals(e.getKey().capability(), r.error().capability(), e.getKey().wireName());
        verifyNoInteractions(backend);
      }
      assertEquals(NodeMethod.values().length, fx.manager.deniedCalls("bare"));
    }
    assertAudited("bare", "denied");
  }

  @Test
  void everyMethod_withItsCapability_passesTheCheck() throws Exception {
    String all =
        Arrays.stream(Capability.values())
            .map(cap -> "\"" + cap.wireName() + "\"")
            .collect(Collectors.joining(", "));
    // rules for the two network methods: a closed port to connect to, a free one to listen on
    try (LoaderFixture fx =
            new LoaderFixture(tmp)
                .policy(
                    "[defaults]\ncapabilities = ["
                        + all
                        + "]\ncallable_modules = [\"*\"]\n[modules.full.network]\n"
                        + "connect = [\"127.0.0.1:1\"]\nlisten = [\"127.0.0.1:"
                        + LISTEN_PORT
                        + "\"]\n")
                .module("full", all, "", "\"x.topic\"")
                .start(b -> {});
        RawClient c = fx.handshake("full")) {
      long id = 0;
      for (Map.Entry<NodeMethod, Object> e : samples().entrySet()) {
        c.send(new Message.Request(++id, e.getKey().wireName(), CODEC.toTree(e.getValue())));
        Message.Response r = c.expect(Message.Response.class);
        assertEquals(id, r.id());
        if (r.error() != null) {
          // the small backend serves few methods: any answer but a capability refusal is fine
          assertNotEquals(ErrorCode.NOT_CAPABLE, r.error().code(), e.getKey().wireName());
          assertNotEquals(ErrorCode.INVALID_PARAMS, r.error().code(), r.error().message());
        } else {
          JsonNode result = r.result();
          assertNotNull(result, e.getKey().wireName());
        }
      }
      assertEquals(0, fx.manager.deniedCalls("full"));
    }
    assertAudited("full", "allowed");
  }

  /** Every catalog method has an audit line for the module with the decision and capability. */
  private void assertAudited(String module, String decision) throws Exception {
    List<JsonNode> lines = new java.util.ArrayList<>();
    com.fasterxml.jackson.databind.ObjectMapper json =
        new com.fasterxml.jackson.databind.ObjectMapper();
    for (String l : java.nio.file.Files.readAllLines(tmp.resolve("run/audit.jsonl"))) {
      lines.add(json.readTree(l));
    }
    for (NodeMethod m : NodeMethod.values()) {
      assertTrue(
          lines.stream()
              .anyMatch(
                  l ->
                      l.get("module").asText().equals(module)
                          && l.get("method").asText().equals(m.wireName())
                          && l.get("capability").asText().equals(m.capability().wireName())
                          && l.get("decision").asText().equals(decision)
                          && !l.get("time").asText().isEmpty()),
          "no " + decision + " audit line for " + m.wireName());
    }
  }
}
