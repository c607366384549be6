package org.blvm.node;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;

/**
 * The payload of the {@code meshannounce} message a simulated mesh peer sends (docs/simulation.md,
 * "Mesh peers"): two frames of blvm-mesh's link protocol, version 1 (docs/modules.md) — a hello
 * with the peer's mesh node id {@code sim-ID}, then an announcement of the destinations behind it
 * ({@code sim-ID-leaf} at 1 hop).
 */
final class MeshAnnouncement {
  static final String COMMAND = "meshannounce";
  static final String USER_AGENT = "/blvm-mesh-sim:0.1.0/";
  static final long INTERVAL_MILLIS = 5_000;

  private MeshAnnouncement() {}

  /** The mesh node id of peer {@code id}. */
  static String nodeId(long id) {
    return "sim-" + Long.toString(id);
  }

  /** The routes peer {@code id} announces: destination → hops from the peer. */
  static Map<String, Integer> routes(long id) {
    Map<String, Integer> routes = new TreeMap<>();
    routes.put(nodeId(id) + "-leaf", 1);
    return routes;
  }

  static byte[] of(long id) {
    ByteArrayOutputStream hello = new ByteArrayOutputStream();
    hello.write(1);
    hello.write(1);
    id(hello, nodeId(id));
    ByteArrayOutputStream announce = new ByteArrayOutputStream();
    announce.write(1);
    announce.write(2);
    Map<String, Integer> routes = routes(id);
    announce.write(routes.size() >>> 8);
    announce.write(routes.size() & 0xff);
    for (Map.Entry<String, Integer> e : routes.entrySet()) {
      id(announce, e.getKey());
      announce.write(e.getValue());
    }
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    frame(all, hello.toByteArray());
    frame(all, announce.toByteArray());
    return all.toByteArray();
  }

  private static void id(ByteArrayOutputStream out, String id) {
    byte[] b = id.getBytes(StandardCharsets.US_ASCII);
    out.write(b.length);
    out.writeBytes(b);
  }

  private static void frame(ByteArrayOutputStream out, byte[] body) {
    int n = body.length;
    out.write(n >>> 24);
    out.write(n >>> 16);
    out.write(n >>> 8);
    out.write(n);
    out.writeBytes(body);
  }
}
