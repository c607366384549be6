package org.blvm.modules.mesh;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The module's settings: the manifest's {@code [config]} with the operator's overlaid
 * (docs/modules.md, "Configuration").
 *
 * @param nodeId this node's id in the mesh (1–64 of {@code a-z 0-9 . _ -}); required
 * @param listen the {@code ip:port} to accept links on (one of the policy's {@code listen}
 *     addresses), or empty for none
 * @param peers {@code host:port} of the nodes to link to (each allowed by the policy's {@code
 *     connect} rules), at most {@link #MAX_PEERS}
 * @param maxLinks links open at once, dialled and accepted (1–64)
 * @param deliverModule the local module a packet for this node is handed to, or empty to drop them
 * @param deliverMethod the method of {@code deliverModule} that receives it
 * @param announceIntervalMs how often the whole table is announced to every neighbour besides each
 *     change (1000–600000); a link silent for three intervals is closed
 */
record MeshConfig(
    String nodeId,
    String listen,
    List<String> peers,
    int maxLinks,
    String deliverModule,
    String deliverMethod,
    int announceIntervalMs) {
  static final int MAX_PEERS = 64;
  static final Set<String> KEYS =
      Set.of(
          "node_id",
          "listen",
          "peers",
          "max_links",
          "deliver_module",
          "deliver_method",
          "announce_interval_ms");
  private static final Pattern HOST_PORT =
      Pattern.compile("(\\[[0-9a-fA-F:.]+\\]|[A-Za-z0-9.-]{1,253}):([0-9]{1,5})");
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,128}");

  MeshConfig {
    peers = List.copyOf(peers);
  }

  /** Thrown for a config the module cannot run with; the message lists every problem. */
  static final class InvalidConfigException extends Exception {
    private static final long serialVersionUID = 1L;

    InvalidConfigException(String message) {
      super(message);
    }
  }

  /** Reads and checks {@code config}; unknown keys are errors. */
  static MeshConfig read(JsonNode config) throws InvalidConfigException {
    if (!config.isObject()) {
      throw new InvalidConfigException("config must be a table");
    }
    List<String> problems = new ArrayList<>();
    for (Iterator<String> it = config.fieldNames(); it.hasNext(); ) {
      String k = it.next();
      if (!KEYS.contains(k)) {
        problems.add(
            "unknown key \""
                + k
                + "\" (known: "
                + String.join(", ", KEYS.stream().sorted().toList())
                + ")");
      }
    }
    String nodeId = text(config, "node_id", "", problems);
    if (!LinkCodec.NODE_ID.matcher(nodeId).matches()) {
      problems.add("node_id must be 1-64 characters of a-z 0-9 . _ -, found \"" + nodeId + "\"");
    }
    String listen = text(config, "listen", "", problems);
    if (!listen.isEmpty() && !validPort(listen)) {
      problems.add("listen must be \"ip:port\" or empty, found \"" + listen + "\"");
    }
    Set<String> peers = new LinkedHashSet<>();
    JsonNode p = config.path("peers");
    if (!p.isMissingNode() && !p.isArray()) {
      problems.add("peers must be an array of \"host:port\"");
    } else if (p.size() > MAX_PEERS) {
      problems.add("peers has " + p.size() + " entries, at most " + MAX_PEERS);
    } else {
      for (JsonNode e : p) {
        if (!e.isTextual() || !validPort(e.asText())) {
          problems.add("peers entry " + e + " is not \"host:port\"");
        } else if (!peers.add(e.asText())) {
          problems.add("peers repeats " + e);
        }
      }
    }
    int maxLinks = integer(config, "max_links", 8, 1, 64, problems);
    String deliverModule = text(config, "deliver_module", "", problems);
    String deliverMethod = text(config, "deliver_method", "mesh_packet", problems);
    if (!deliverModule.isEmpty() && !NAME.matcher(deliverModule).matches()) {
      problems.add("deliver_module is not a module name: \"" + deliverModule + "\"");
    }
    if (!NAME.matcher(deliverMethod).matches()) {
      problems.add("deliver_method is not a method name: \"" + deliverMethod + "\"");
    }
    int interval = integer(config, "announce_interval_ms", 10_000, 1_000, 600_000, problems);
    if (!problems.isEmpty()) {
      throw new InvalidConfigException(String.join("; ", problems));
    }
    return new MeshConfig(
        nodeId, listen, List.copyOf(peers), maxLinks, deliverModule, deliverMethod, interval);
  }

  /** The host of a {@code host:port} entry, without IPv6 brackets. */
  static String host(String hostPort) {
    String h = hostPort.substring(0, hostPort.lastIndexOf(':'));
    return h.startsWith("[") ? h.substring(1, h.length() - 1) : h;
  }

  static int port(String hostPort) {
    return Integer.parseInt(hostPort.substring(hostPort.lastIndexOf(':') + 1));
  }

  private static boolean validPort(String hostPort) {
    if (!HOST_PORT.matcher(hostPort).matches()) {
      return false;
    }
    int port = port(hostPort);
    return port >= 1 && port <= 65_535;
  }

  private static String text(JsonNode config, String key, String dflt, List<String> problems) {
    JsonNode v = config.get(key);
    if (v == null) {
      return dflt;
    }
    if (!v.isTextual()) {
      problems.add(key + " must be a string, found " + v);
      return dflt;
    }
    return v.asText();
  }

  private static int integer(
      JsonNode config, String key, int dflt, int min, int max, List<String> problems) {
    JsonNode v = config.get(key);
    if (v == null) {
      return dflt;
    }
    if (!v.isIntegralNumber() || !v.canConvertToInt() || v.intValue() < min || v.intValue() > max) {
      problems.add(
          key
              + " must be an integer from "
              + Integer.toString(min)
              + " to "
              + Integer.toString(max)
              + ", found "
              + v);
      return dflt;
    }
    return v.intValue();
  }
}
