package org.blvm.policy;

import java.net.InetAddress;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import org.blvm.protocol.NetAddress;

/**
 * One entry of a module's {@code [modules.<name>.network] connect} list: a destination the node may
 * connect to for the module ({@code net_connect}).
 *
 * <ul>
 *   <li>{@code hooks.example.org:443}: exactly that host name (any case) and port;
 *   <li>{@code *.example.net:443}: any name that ends in {@code .example.net} and has at least one
 *       label more (not {@code example.net} itself), that port;
 *   <li>{@code 203.0.113.7:8333}, {@code [2001:db8::1]:443}: exactly that IP address, written by
 *       the module as an address; a rule that names an address literally also allows it when it is
 *       loopback, private, link-local or cloud metadata, which a name never reaches.
 * </ul>
 *
 * @param host the host name in lowercase, or the suffix after {@code *.} for a wildcard, or the IP
 *     literal's canonical text
 * @param wildcard a {@code *.suffix} rule
 * @param port the port (1 to 65535)
 * @param literal the address of an IP-literal rule, else null
 */
public record ConnectRule(String host, boolean wildcard, int port, InetAddress literal) {
  public ConnectRule {
    Objects.requireNonNull(host, "host");
    NetAddress.requirePort("port", port);
    if (wildcard && literal != null) {
      throw new IllegalArgumentException("an IP address rule cannot be a wildcard");
    }
  }

  /**
   * Reads one rule.
   *
   * @throws IllegalArgumentException saying what is wrong with {@code text}
   */
  public static ConnectRule parse(String text) {
    NetAddress.HostPort hp = NetAddress.splitHostPort(text);
    String h = hp.host();
    Optional<InetAddress> ip = NetAddress.ipLiteral(h);
    if (ip.isPresent()) {
      if (hp.bracketed() != h.contains(":")) {
        throw new IllegalArgumentException(
            "an IPv6 address is written in brackets (\"[2001:db8::1]:443\"), an IPv4 address"
                + " without them; found \""
                + text
                + "\"");
      }
      return new ConnectRule(NetAddress.hostText(ip.get(), false), false, hp.port(), ip.get());
    }
    if (hp.bracketed()) {
      throw new IllegalArgumentException("\"" + h + "\" in brackets is not an IPv6 address");
    }
    if (h.startsWith("*.")) {
      String suffix = h.substring(2);
      if (!NetAddress.isHostName(suffix) || suffix.indexOf('.') < 0) {
        throw new IllegalArgumentException(
            "a wildcard is \"*.\" and a name of at least two labels (\"*.example.net:443\"),"
                + " found \""
                + text
                + "\"");
      }
      return new ConnectRule(suffix.toLowerCase(Locale.ROOT), true, hp.port(), null);
    }
    if (h.contains("*")) {
      throw new IllegalArgumentException(
          "\"*\" is allowed only as the whole first label (\"*.example.net:443\"), found \""
              + text
              + "\"");
    }
    if (!NetAddress.isHostName(h)) {
      throw new IllegalArgumentException(
          "\""
              + h
              + "\" is neither a host name (letters, digits, hyphens, dots) nor an IP address");
    }
    return new ConnectRule(h.toLowerCase(Locale.ROOT), false, hp.port(), null);
  }

  /**
   * Whether a request for {@code requestHost} (a name, or an IP literal whose address is {@code
   * requestLiteral}) and {@code requestPort} is allowed by this rule. A name never matches an
   * address rule, nor an address a name rule, whatever the name resolves to.
   */
  public boolean matches(
      String requestHost, Optional<InetAddress> requestLiteral, int requestPort) {
    if (requestPort != port) {
      return false;
    }
    if (literal != null) {
      return requestLiteral.isPresent() && NetAddress.sameAddress(literal, requestLiteral.get());
    }
    if (requestLiteral.isPresent()) {
      return false;
    }
    String name = requestHost.toLowerCase(Locale.ROOT);
    return wildcard ? name.endsWith("." + host) : name.equals(host);
  }

  /** Whether this rule names {@code address} literally (then no address class is refused). */
  public boolean namesLiteral(InetAddress address) {
    return literal != null && NetAddress.sameAddress(literal, address);
  }

  /** The rule as the policy writes it, in canonical form. */
  @Override
  public String toString() {
    if (literal != null) {
      return NetAddress.hostText(literal, true) + ":" + port;
    }
    return (wildcard ? "*." : "") + host + ":" + port;
  }
}
