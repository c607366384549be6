package org.blvm.loader;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Optional;

/**
 * The addresses a host name may never lead the network broker to: loopback, private, link-local,
 * shared (CGNAT), multicast, broadcast, unspecified, documentation and other special-purpose
 * ranges, and cloud metadata services. Only a rule that names such an address literally reaches it.
 * IPv6 forms that carry an IPv4 address (IPv4-mapped, NAT64, 6to4) are judged by the IPv4 address
 * they carry; any other IPv6 address outside the global unicast block 2000::/3 is refused. The
 * lists are docs/policy.md's, "What a name may not reach".
 */
final class AddressClass {
  /** One refused range: the first {@code bits} of {@code prefix}. */
  private record Range(byte[] prefix, int bits, String name) {
    boolean contains(byte[] a) {
      if (a.length != prefix.length) {
        return false;
      }
      for (int i = 0; i < bits; i++) {
        int mask = 0x80 >>> (i % 8);
        if ((a[i / 8] & mask) != (prefix[i / 8] & mask)) {
          return false;
        }
      }
      return true;
    }
  }

  /** In order: the first range that contains an address names it (metadata before its block). */
  private static final List<Range> V4 =
      List.of(
          r("169.254.169.254", 32, "cloud metadata (169.254.169.254)"),
          r("169.254.170.2", 32, "cloud metadata (169.254.170.2)"),
          r("100.100.100.200", 32, "cloud metadata (100.100.100.200)"),
          r("255.255.255.255", 32, "broadcast (255.255.255.255)"),
          r("0.0.0.0", 8, "unspecified / this network (0.0.0.0/8)"),
          r("10.0.0.0", 8, "private (10.0.0.0/8)"),
          r("100.64.0.0", 10, "shared address space, carrier-grade NAT (100.64.0.0/10)"),
          r("127.0.0.0", 8, "loopback (127.0.0.0/8)"),
          r("169.254.0.0", 16, "link-local (169.254.0.0/16)"),
          r("172.16.0.0", 12, "private (172.16.0.0/12)"),
          r("192.0.0.0", 24, "IETF protocol assignments (192.0.0.0/24)"),
          r("192.0.2.0", 24, "documentation (192.0.2.0/24)"),
          r("192.88.99.0", 24, "6to4 relay anycast (192.88.99.0/24)"),
          r("192.168.0.0", 16, "private (192.168.0.0/16)"),
          r("198.18.0.0", 15, "benchmarking (198.18.0.0/15)"),
          r("198.51.100.0", 24, "documentation (198.51.100.0/24)"),
          r("203.0.113.0", 24, "documentation (203.0.113.0/24)"),
          r("224.0.0.0", 4, "multicast (224.0.0.0/4)"),
          r("240.0.0.0", 4, "reserved (240.0.0.0/4)"));

  private static final List<Range> V6 =
      List.of(
          r("fd00:ec2::254", 128, "cloud metadata (fd00:ec2::254)"),
          r("::", 128, "unspecified (::)"),
          r("::1", 128, "loopback (::1)"),
          r("::", 96, "IPv4-compatible, deprecated (::/96)"),
          r("64:ff9b:1::", 48, "local-use NAT64 (64:ff9b:1::/48)"),
          r("100::", 64, "discard-only (100::/64)"),
          r("2001:db8::", 32, "documentation (2001:db8::/32)"),
          r("2001::", 23, "IETF protocol assignments, Teredo (2001::/23)"),
          r("3fff::", 20, "documentation (3fff::/20)"),
          r("fc00::", 7, "unique local, private (fc00::/7)"),
          r("fe80::", 10, "link-local (fe80::/10)"),
          r("fec0::", 10, "site-local, deprecated (fec0::/10)"),
          r("ff00::", 8, "multicast (ff00::/8)"));

  private AddressClass() {}

  private static Range r(String prefix, int bits, String name) {
    try {
      byte[] b = InetAddress.getByName(prefix).getAddress();
      if (prefix.contains(":") && b.length == 4) {
        throw new IllegalStateException("not an IPv6 prefix: " + prefix);
      }
      return new Range(b, bits, name);
    } catch (UnknownHostException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Why a name may not lead to {@code address}, or empty when it may (a public unicast address).
   */
  static Optional<String> refused(InetAddress address) {
    byte[] a = address.getAddress();
    if (a.length == 4) {
      return find(V4, a);
    }
    byte[] carried = carriedIpv4(a);
    if (carried != null) {
      Optional<String> v4 = find(V4, carried);
      return v4.map(why -> carriedKind(a) + " of " + dotted(carried) + ", " + why);
    }
    Optional<String> special = find(V6, a);
    if (special.isPresent() || (a[0] & 0xe0) == 0x20) {
      return special;
    }
    return Optional.of("not a global unicast address (outside 2000::/3)");
  }

  private static Optional<String> find(List<Range> ranges, byte[] a) {
    for (Range r : ranges) {
      if (r.contains(a)) {
        return Optional.of(r.name());
      }
    }
    return Optional.empty();
  }

  /**
   * The IPv4 address an IPv6 address carries: IPv4-mapped {@code ::ffff:0:0/96}, NAT64 {@code
   * 64:ff9b::/96}, 6to4 {@code 2002::/16}; else null.
   */
  private static byte[] carriedIpv4(byte[] a) {
    if (isZero(a, 0, 10) && (a[10] & 0xff) == 0xff && (a[11] & 0xff) == 0xff) {
      return java.util.Arrays.copyOfRange(a, 12, 16);
    }
    if ((a[0] & 0xff) == 0x00
        && (a[1] & 0xff) == 0x64
        && (a[2] & 0xff) == 0xff
        && (a[3] & 0xff) == 0x9b
        && isZero(a, 4, 12)) {
      return java.util.Arrays.copyOfRange(a, 12, 16);
    }
    if ((a[0] & 0xff) == 0x20 && (a[1] & 0xff) == 0x02) {
      return java.util.Arrays.copyOfRange(a, 2, 6);
    }
    return null;
  }

  private static String carriedKind(byte[] a) {
    if ((a[0] & 0xff) == 0x20) {
      return "6to4 address";
    }
    return (a[1] & 0xff) == 0x64 ? "NAT64 address" : "IPv4-mapped address";
  }

  private static boolean isZero(byte[] a, int from, int to) {
    for (int i = from; i < to; i++) {
      if (a[i] != 0) {
        return false;
      }
    }
    return true;
  }

  private static String dotted(byte[] v4) {
    return (v4[0] & 0xff) + "." + (v4[1] & 0xff) + "." + (v4[2] & 0xff) + "." + (v4[3] & 0xff);
  }
}
