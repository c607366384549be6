package org.blvm.policy;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.blvm.protocol.NetAddress;

/**
 * Reads the {@code network} key of {@code [defaults]} and {@code [modules.<name>]}: a table of
 * destinations, listening addresses and limits, or the string {@code "host"}. Destinations,
 * addresses and {@code "host"} are per module only; the limits may be defaulted.
 */
final class NetworkSection {
  static final Set<String> KEYS =
      new TreeSet<>(List.of("connect", "listen", "max_sockets", "connects_per_second"));

  /** Upper bounds of the limits. */
  static final int MAX_SOCKETS = 4096;

  static final int MAX_CONNECTS_PER_SECOND = 10_000;

  private NetworkSection() {}

  /** The value of {@code network} in section {@code at} ("defaults" or "modules.x") over base. */
  static NetworkPolicy parse(PolicyProblems p, JsonNode n, NetworkPolicy base, String at) {
    String key = at + ".network";
    boolean defaults = at.equals("defaults");
    if (n == null) {
      return base;
    }
    if (n.isTextual()) {
      if (!n.textValue().equals("host")) {
        p.add(
            key,
            "must be a table (["
                + key
                + "]) or the string \"host\", found \""
                + n.textValue()
                + "\"");
      } else if (defaults) {
        p.add(
            key,
            "network = \"host\" is per module only: set it in [modules.<name>] for the one module"
                + " that must share the host's network");
      } else {
        return new NetworkPolicy(
            true, List.of(), List.of(), base.maxSockets(), base.connectsPerSecond());
      }
      return base;
    }
    if (!n.isObject()) {
      p.add(
          key, "must be a table ([" + key + "]) or the string \"host\", found " + n.getNodeType());
      return base;
    }
    p.unknownKeys(n, key, KEYS);
    List<ConnectRule> connect = base.connect();
    List<NetAddress.Endpoint> listen = base.listen();
    if (defaults) {
      for (String perModule : List.of("connect", "listen")) {
        if (n.has(perModule)) {
          p.add(
              key + "." + perModule,
              "is per module only: list each module's "
                  + (perModule.equals("connect") ? "destinations" : "listening addresses")
                  + " in [modules.<name>.network]");
        }
      }
    } else {
      if (n.has("connect")) {
        connect = connectRules(p, n, key + ".connect");
      }
      if (n.has("listen")) {
        listen = listenAddresses(p, n, key + ".listen");
      }
    }
    int maxSockets =
        p.integer(n, "max_sockets", key + ".max_sockets", 1, MAX_SOCKETS, base.maxSockets());
    int perSecond =
        p.integer(
            n,
            "connects_per_second",
            key + ".connects_per_second",
            1,
            MAX_CONNECTS_PER_SECOND,
            base.connectsPerSecond());
    return new NetworkPolicy(false, connect, listen, maxSockets, perSecond);
  }

  private static List<ConnectRule> connectRules(PolicyProblems p, JsonNode n, String key) {
    List<String> entries = p.strings(n, "connect", key);
    List<ConnectRule> rules = new ArrayList<>();
    if (entries.size() > NetworkPolicy.MAX_CONNECT_RULES) {
      p.add(key, "more than " + NetworkPolicy.MAX_CONNECT_RULES + " entries");
      return rules;
    }
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < entries.size(); i++) {
      String text = entries.get(i);
      ConnectRule r;
      try {
        r = ConnectRule.parse(text);
      } catch (IllegalArgumentException e) {
        p.add(key, "entry " + (i + 1) + " \"" + text + "\": " + e.getMessage());
        continue;
      }
      if (!seen.add(r.toString())) {
        p.add(key, "entry " + (i + 1) + " \"" + text + "\" is listed twice (as " + r + ")");
        continue;
      }
      rules.add(r);
    }
    return rules;
  }

  private static List<NetAddress.Endpoint> listenAddresses(
      PolicyProblems p, JsonNode n, String key) {
    List<String> entries = p.strings(n, "listen", key);
    List<NetAddress.Endpoint> out = new ArrayList<>();
    if (entries.size() > NetworkPolicy.MAX_LISTEN) {
      p.add(key, "more than " + NetworkPolicy.MAX_LISTEN + " entries");
      return out;
    }
    for (int i = 0; i < entries.size(); i++) {
      String text = entries.get(i);
      NetAddress.Endpoint e;
      try {
        e = NetAddress.parseEndpoint(text);
      } catch (IllegalArgumentException ex) {
        p.add(key, "entry " + (i + 1) + " \"" + text + "\": " + ex.getMessage());
        continue;
      }
      String clash = clash(e, out);
      if (clash != null) {
        p.add(key, "entry " + (i + 1) + " \"" + text + "\" " + clash);
        continue;
      }
      out.add(e);
    }
    return out;
  }

  /**
   * Why {@code e} cannot be bound next to {@code others}: the same address and port, or the same
   * port where one of them is the unspecified address (0.0.0.0 or ::, which covers the others);
   * null when it can.
   */
  private static String clash(NetAddress.Endpoint e, List<NetAddress.Endpoint> others) {
    for (NetAddress.Endpoint o : others) {
      if (o.port() != e.port()) {
        continue;
      }
      if (NetAddress.sameAddress(o.address(), e.address())) {
        return "is listed twice (as " + o + ")";
      }
      if (unspecified(o.address()) || unspecified(e.address())) {
        return "overlaps " + o + " (the same port, and one of them is every address)";
      }
    }
    return null;
  }

  private static boolean unspecified(InetAddress a) {
    return a.isAnyLocalAddress();
  }

  /**
   * Two modules must not listen where the other does: reports each address a later section repeats
   * or overlaps.
   */
  static void checkListenAcrossModules(PolicyProblems p, Map<String, ModulePolicy> modules) {
    List<NetAddress.Endpoint> seen = new ArrayList<>();
    List<String> owners = new ArrayList<>();
    for (Map.Entry<String, ModulePolicy> m : modules.entrySet()) {
      for (NetAddress.Endpoint e : m.getValue().network().listen()) {
        for (int i = 0; i < seen.size(); i++) {
          if (!owners.get(i).equals(m.getKey()) && clash(e, List.of(seen.get(i))) != null) {
            p.add(
                "modules." + m.getKey() + ".network.listen",
                "\""
                    + e
                    + "\" is also a listening address of module "
                    + owners.get(i)
                    + " ("
                    + seen.get(i)
                    + "): only one module can bind a port");
          }
        }
      }
      for (NetAddress.Endpoint e : m.getValue().network().listen()) {
        seen.add(e);
        owners.add(m.getKey());
      }
    }
  }
}
