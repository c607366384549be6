package org.blvm.protocol;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Host names, IP literals, ports and {@code address:port} endpoints as the network methods ({@code
 * net_connect}, {@code net_listen}) and the operator's network rules write them. Parsing never
 * resolves a name: an IP literal is read from its text, a host name is only checked for syntax.
 *
 * <ul>
 *   <li>host name: 1 to 253 characters, dot-separated labels of 1 to 63 letters, digits and
 *       hyphens, neither starting nor ending with a hyphen; compared without regard to case
 *   <li>IPv4 literal: four decimal numbers 0 to 255 without leading zeros ({@code 203.0.113.7})
 *   <li>IPv6 literal: the RFC 4291 text form without brackets and without a zone ({@code
 *       2001:db8::1}); in an endpoint it is written in brackets ({@code [2001:db8::1]:443})
 *   <li>port: 1 to 65535
 * </ul>
 */
public final class NetAddress {
  /** Longest host name. */
  public static final int MAX_HOST_CHARS = 253;

  private static final Pattern LABEL =
      Pattern.compile("[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?");
  private static final Pattern IPV4 =
      Pattern.compile("(0|[1-9][0-9]{0,2})(\\.(0|[1-9][0-9]{0,2})){3}");
  private static final Pattern IPV6_CHARS = Pattern.compile("[0-9A-Fa-f:.]{2,45}");

  private NetAddress() {}

  /** An IP address and a port, as in {@code 0.0.0.0:3333} or {@code [::1]:9735}. */
  public record Endpoint(InetAddress address, int port) {
    public Endpoint {
      if (address == null) {
        throw new IllegalArgumentException("address is missing");
      }
      requirePort("port", port);
    }

    /** The canonical text: {@code a.b.c.d:port} or {@code [v6]:port} (compressed, lowercase). */
    @Override
    public String toString() {
      return hostText(address, true) + ":" + port;
    }
  }

  /** Whether {@code s} is a host name (see the class comment); IP literals are not names. */
  public static boolean isHostName(String s) {
    if (s == null || s.isEmpty() || s.length() > MAX_HOST_CHARS || isIpv4Literal(s)) {
      return false;
    }
    for (String label : s.split("\\.", -1)) {
      if (!LABEL.matcher(label).matches()) {
        return false;
      }
    }
    // a name whose last label is all digits would read as a number to some resolvers
    String last = s.substring(s.lastIndexOf('.') + 1);
    return !last.chars().allMatch(Character::isDigit);
  }

  /** The address an IP literal denotes, or empty when {@code s} is not one (never a lookup). */
  public static Optional<InetAddress> ipLiteral(String s) {
    if (s == null) {
      return Optional.empty();
    }
    try {
      if (isIpv4Literal(s)) {
        String[] parts = s.split("\\.");
        byte[] b = new byte[4];
        for (int i = 0; i < 4; i++) {
          int v = Integer.parseInt(parts[i]);
          if (v > 255) {
            return Optional.empty();
          }
          b[i] = (byte) v;
        }
        return Optional.of(InetAddress.getByAddress(b));
      }
      if (IPV6_CHARS.matcher(s).matches() && s.indexOf(':') != s.lastIndexOf(':')) {
        // with ':' in it, the JDK parses the literal and never asks a resolver
        return Optional.of(Inet6Address.getByAddress(null, v6Bytes(s), -1));
      }
    } catch (UnknownHostException | IllegalArgumentException e) {
      return Optional.empty();
    }
    return Optional.empty();
  }

  /**
   * The 16 bytes of an IPv6 literal. The JDK reads an IPv4-mapped literal ({@code ::ffff:a.b.c.d})
   * as an IPv4 address; the bytes keep what was written (an IPv6 address).
   */
  private static byte[] v6Bytes(String s) throws UnknownHostException {
    InetAddress a = InetAddress.getByName(s);
    if (a instanceof Inet6Address) {
      return a.getAddress();
    }
    byte[] v4 = a.getAddress();
    byte[] b = new byte[16];
    b[10] = (byte) 0xff;
    b[11] = (byte) 0xff;
    System.arraycopy(v4, 0, b, 12, 4);
    return b;
  }

  private static boolean isIpv4Literal(String s) {
    return IPV4.matcher(s).matches();
  }

  /** Equal addresses, an IPv4 address being equal to its IPv4-mapped IPv6 form. */
  public static boolean sameAddress(InetAddress a, InetAddress b) {
    return java.util.Arrays.equals(mapped(a.getAddress()), mapped(b.getAddress()));
  }

  private static byte[] mapped(byte[] raw) {
    if (raw.length == 16) {
      return raw;
    }
    byte[] m = new byte[16];
    m[10] = (byte) 0xff;
    m[11] = (byte) 0xff;
    System.arraycopy(raw, 0, m, 12, 4);
    return m;
  }

  /** Requires a host name or an IP literal; {@code field} names it in the message. */
  public static void requireHost(String field, String host) {
    if (host == null || host.isEmpty()) {
      throw new IllegalArgumentException(
          field + " must be a host name or an IP address, found nothing");
    }
    if (host.length() > MAX_HOST_CHARS) {
      throw new IllegalArgumentException(
          field + " must be at most " + MAX_HOST_CHARS + " characters, found " + host.length());
    }
    if (!isHostName(host) && ipLiteral(host).isEmpty()) {
      throw new IllegalArgumentException(
          field
              + " must be a host name (letters, digits, hyphens and dots), an IPv4 address or an"
              + " IPv6 address without brackets, found \""
              + host
              + "\"");
    }
  }

  /** Requires a port from 1 to 65535. */
  public static void requirePort(String field, int port) {
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException(field + " must be from 1 to 65535, found " + port);
    }
  }

  /**
   * Reads {@code address:port} where address is an IP literal, an IPv6 one in brackets.
   *
   * @throws IllegalArgumentException naming what is wrong
   */
  public static Endpoint parseEndpoint(String text) {
    if (text == null || text.isEmpty() || text.length() > 64) {
      throw new IllegalArgumentException(
          "must be an IP address and a port like \"0.0.0.0:3333\" or \"[::1]:3333\", found "
              + (text == null ? "nothing" : "\"" + text + "\""));
    }
    HostPort hp = splitHostPort(text);
    if (hp.bracketed() != hp.host().contains(":")) {
      throw new IllegalArgumentException(
          "an IPv6 address is written in brackets (\"[::1]:3333\"), an IPv4 address without"
              + " them; found \""
              + text
              + "\"");
    }
    Optional<InetAddress> ip = ipLiteral(hp.host());
    if (ip.isEmpty()) {
      throw new IllegalArgumentException(
          "\"" + hp.host() + "\" is not an IP address (names are not allowed here)");
    }
    return new Endpoint(ip.get(), hp.port());
  }

  /**
   * {@code host:port} split at its last colon; a host in brackets is returned without them.
   *
   * @param bracketed whether the host was written in brackets
   */
  public record HostPort(String host, int port, boolean bracketed) {}

  /**
   * Splits {@code host:port} (host may be {@code [v6]}); checks the port, not the host.
   *
   * @throws IllegalArgumentException when there is no port or it is not 1 to 65535
   */
  public static HostPort splitHostPort(String text) {
    int colon = text.lastIndexOf(':');
    if (colon <= 0 || colon == text.length() - 1) {
      throw new IllegalArgumentException(
          "must be written host:port (a port from 1 to 65535 after the last colon), found \""
              + text
              + "\"");
    }
    String host = text.substring(0, colon);
    String portText = text.substring(colon + 1);
    boolean bracketed = host.startsWith("[") && host.endsWith("]") && host.length() > 2;
    if (bracketed) {
      host = host.substring(1, host.length() - 1);
    } else if (host.startsWith("[") || host.endsWith("]")) {
      throw new IllegalArgumentException("unbalanced brackets in \"" + text + "\"");
    }
    if (!portText.matches("[1-9][0-9]{0,4}")) {
      throw new IllegalArgumentException(
          "the port of \""
              + text
              + "\" must be a number from 1 to 65535, found \""
              + portText
              + "\"");
    }
    int port = Integer.parseInt(portText);
    requirePort("the port of \"" + text + "\"", port);
    return new HostPort(host, port, bracketed);
  }

  /**
   * The text of an address: IPv4 dotted, IPv6 compressed and lowercase (in brackets when {@code
   * bracketIpv6}).
   */
  public static String hostText(InetAddress a, boolean bracketIpv6) {
    if (a instanceof Inet4Address) {
      return a.getHostAddress();
    }
    String s = compressV6(a.getAddress());
    return bracketIpv6 ? "[" + s + "]" : s;
  }

  /** RFC 5952 text of 16 bytes: lowercase, the longest run (of two or more) of zeros as "::". */
  static String compressV6(byte[] b) {
    int[] g = new int[8];
    for (int i = 0; i < 8; i++) {
      g[i] = ((b[2 * i] & 0xff) << 8) | (b[2 * i + 1] & 0xff);
    }
    int bestStart = -1;
    int bestLen = 0;
    for (int i = 0; i < 8; ) {
      if (g[i] != 0) {
        i++;
        continue;
      }
      int j = i;
      while (j < 8 && g[j] == 0) {
        j++;
      }
      if (j - i > bestLen && j - i >= 2) {
        bestStart = i;
        bestLen = j - i;
      }
      i = j;
    }
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < 8; i++) {
      if (i == bestStart) {
        sb.append("::");
        i += bestLen - 1;
        continue;
      }
      if (sb.length() > 0 && sb.charAt(sb.length() - 1) != ':') {
        sb.append(':');
      }
      sb.append(Integer.toHexString(g[i]));
    }
    return sb.toString().toLowerCase(Locale.ROOT);
  }
}
