package org.blvm.modules.mesh;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;
import org.blvm.testsupport.Poll;

/**
 * The module itself ({@link Mesh}) started over a {@link FakeClient}: what the SDK would hand it
 * (config, events, {@code route_packet} requests) goes to the same methods, and its links are real
 * loopback sockets ({@link LinkPeer}).
 */
final class RunningMesh implements AutoCloseable {
  static final Duration WAIT = Duration.ofSeconds(15);

  final Mesh mesh;
  final FakeClient client;
  private final List<AutoCloseable> open = new ArrayList<>();

  private RunningMesh(FakeClient client, Mesh mesh) {
    this.client = client;
    this.mesh = mesh;
  }

  /** Starts the module with {@code configJson} as its own config; fails the test if it exits. */
  static RunningMesh start(String configJson, Path dataDir) throws IOException {
    return start(configJson, dataDir, new Mesh());
  }

  /** As {@link #start(String, Path)}, the state file's writes paced by {@code nanos}. */
  static RunningMesh start(String configJson, Path dataDir, LongSupplier nanos) throws IOException {
    return start(configJson, dataDir, new Mesh(nanos));
  }

  private static RunningMesh start(String configJson, Path dataDir, Mesh mesh) throws IOException {
    RunningMesh m = new RunningMesh(new FakeClient(configJson, dataDir), mesh);
    assertEquals(0, m.mesh.start(m.client), () -> "the module started: " + m.client.logs);
    return m;
  }

  MeshNode node() {
    return mesh.node.getNow(null);
  }

  /** A ConfigLoaded carrying {@code configJson} as the module's own config. */
  void reload(String configJson) throws IOException {
    JsonNode own = FakeClient.json(configJson);
    mesh.onConfig(own, FakeClient.json("{\"modules\":{\"blvm-mesh\":" + own + "}}"));
  }

  /**
   * A ConfigLoaded whose visible config is {@code visibleJson}: the SDK hands the module its last
   * own config when {@code visibleJson} has none.
   */
  void reloadVisible(String visibleJson) throws IOException {
    JsonNode visible = FakeClient.json(visibleJson);
    JsonNode own = visible.path("modules").path("blvm-mesh");
    mesh.onConfig(own.isObject() ? own : client.config(), visible);
  }

  /** {@code route_packet} as module {@code mesh-sender} calls it. */
  JsonNode routePacket(String paramsJson) throws Exception {
    return mesh.routePacket("mesh-sender", FakeClient.json(paramsJson));
  }

  /** A peer linked to the module's listening socket, kept until the end of the test. */
  LinkPeer link(String nodeId) throws IOException {
    LinkPeer p = LinkPeer.linked(client.listenPort(), nodeId);
    open.add(p);
    until("node \"" + nodeId + "\" is a neighbour", () -> hasRoute(nodeId, nodeId, 1));
    return p;
  }

  /** A peer linked to the module that never reads, kept until the end of the test. */
  LinkPeer linkDeaf(String nodeId) throws IOException {
    LinkPeer p = LinkPeer.deaf(client.listenPort(), nodeId);
    open.add(p);
    until("node \"" + nodeId + "\" is a neighbour", () -> hasRoute(nodeId, nodeId, 1));
    return p;
  }

  boolean hasRoute(String destination, String nextHop, int hops) {
    return node()
        .table()
        .route(destination)
        .equals(java.util.Optional.of(new RoutingTable.Route(destination, nextHop, hops)));
  }

  static void until(String what, BooleanSupplier condition) {
    try {
      Poll.until(condition, WAIT, what);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted waiting for: " + what, e);
    }
  }

  @Override
  public void close() throws Exception {
    mesh.stop();
    client.close();
    for (AutoCloseable c : open) {
      c.close();
    }
  }
}
