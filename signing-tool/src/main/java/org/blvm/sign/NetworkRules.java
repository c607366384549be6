package org.blvm.sign;

import java.io.PrintWriter;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.blvm.policy.ConnectRule;
import org.blvm.policy.ModulePolicy;
import org.blvm.policy.NetworkPolicy;
import org.blvm.protocol.Capability;
import org.blvm.protocol.NetAddress;

/**
 * The network part of {@code policy check}: a module's connect and listen lists and its limits, and
 * a {@code WARNING} line for each rule that reaches more than one named destination: {@code network
 * = "host"}, a {@code *.suffix} wildcard, a literal address a host name could never reach
 * (loopback, private, link-local, shared, unspecified, multicast), a listening address on every
 * interface.
 */
final class NetworkRules {
  private static final String WARN = "  WARNING:       ";

  private NetworkRules() {}

  static void print(PrintWriter out, ModulePolicy mp) {
    NetworkPolicy n = mp.network();
    if (n.host()) {
      out.println("  network:       HOST (network = \"host\"): the host's network namespace");
      out.println(
          WARN
              + "network = \"host\": the module shares the host's network: it reaches every"
              + " loopback service (the node's RPC port), every abstract Unix socket of the host,"
              + " the LAN and the internet, and may bind any free port; no connect or listen rule"
              + " and no limit applies");
      return;
    }
    out.println(
        "  network:       brokered (no network of its own), max_sockets "
            + n.maxSockets()
            + ", connects_per_second "
            + n.connectsPerSecond());
    out.println(
        "  connect:       "
            + joined(n.connect())
            + unused(mp, Capability.NETWORK_CONNECT, n.connect()));
    out.println(
        "  listen:        "
            + joined(n.listen())
            + unused(mp, Capability.NETWORK_LISTEN, n.listen()));
    for (ConnectRule r : n.connect()) {
      if (r.wildcard()) {
        out.println(
            WARN
                + "connect rule "
                + r
                + " is a wildcard: any name ending in ."
                + r.host()
                + ", whoever controls that domain's names");
      }
      if (r.literal() != null) {
        special(r.literal())
            .ifPresent(
                kind ->
                    out.println(
                        WARN
                            + "connect rule "
                            + r
                            + " names a "
                            + kind
                            + " address literally: a host name never reaches it, this rule"
                            + " does"));
      }
    }
    for (NetAddress.Endpoint e : n.listen()) {
      if (e.address().isAnyLocalAddress()) {
        out.println(
            WARN
                + "listen "
                + e
                + " binds every interface of the host: reachable from the LAN (and beyond,"
                + " unless a firewall stops it)");
      }
    }
  }

  private static String joined(List<?> items) {
    if (items.isEmpty()) {
      return "(none)";
    }
    List<String> s = new ArrayList<>();
    for (Object o : items) {
      s.add(o.toString());
    }
    return String.join(", ", s);
  }

  private static String unused(ModulePolicy mp, Capability c, List<?> rules) {
    return rules.isEmpty() || mp.capabilities().contains(c)
        ? ""
        : " (unused: " + c.wireName() + " is not allowed)";
  }

  /** The kind of an address a host name may not reach through the broker, if it is one. */
  static Optional<String> special(InetAddress a) {
    if (a.isLoopbackAddress()) {
      return Optional.of("loopback");
    }
    if (a.isAnyLocalAddress()) {
      return Optional.of("unspecified");
    }
    if (a.isMulticastAddress()) {
      return Optional.of("multicast");
    }
    if (a.isLinkLocalAddress()) {
      return Optional.of("link-local (cloud metadata lives here)");
    }
    byte[] b = a.getAddress();
    if (a instanceof Inet4Address) {
      int x = b[0] & 0xff;
      int y = b[1] & 0xff;
      if (x == 10 || (x == 172 && (y & 0xf0) == 16) || (x == 192 && y == 168)) {
        return Optional.of("private");
      }
      if (x == 100 && (y & 0xc0) == 64) {
        return Optional.of("shared (carrier-grade NAT)");
      }
    }
    if (a instanceof Inet6Address && (b[0] & 0xfe) == 0xfc) {
      return Optional.of("private (unique local)");
    }
    if (a.isSiteLocalAddress()) {
      return Optional.of("private");
    }
    return Optional.empty();
  }
}
