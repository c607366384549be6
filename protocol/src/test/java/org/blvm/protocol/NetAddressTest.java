package org.blvm.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class NetAddressTest {
  @Test
  void isHostName_labels_lengthsAndDigits() {
    assertTrue(NetAddress.isHostName("hooks.example.org"));
    assertTrue(NetAddress.isHostName("Localhost"));
    assertTrue(NetAddress.isHostName("a-b.c1"));
    assertTrue(NetAddress.isHostName("a".repeat(63) + ".org"));
    assertFalse(NetAddress.isHostName("a".repeat(64) + ".org"));
    assertFalse(NetAddress.isHostName(("a".repeat(60) + ".").repeat(5) + "org")); // 308 chars
    assertFalse(NetAddress.isHostName("-a.org"));
    assertFalse(NetAddress.isHostName("a-.org"));
    assertFalse(NetAddress.isHostName("a..org"));
    assertFalse(NetAddress.isHostName("a.org."));
    assertFalse(NetAddress.isHostName("*.org"));
    assertFalse(NetAddress.isHostName("a_b.org"));
    assertFalse(NetAddress.isHostName("1.2.3.4"));
    assertFalse(NetAddress.isHostName("host.123"));
    assertFalse(NetAddress.isHostName(""));
  }

  @Test
  void ipLiteral_strictForms_neverALookup() throws Exception {
    assertEquals(
        Optional.of(InetAddress.getByName("203.0.113.7")), NetAddress.ipLiteral("203.0.113.7"));
    assertEquals(Optional.empty(), NetAddress.ipLiteral("203.0.113.07")); // no octal look-alikes
    assertEquals(Optional.empty(), NetAddress.ipLiteral("1.2.3"));
    assertEquals(Optional.empty(), NetAddress.ipLiteral("256.1.1.1"));
    assertEquals(Optional.empty(), NetAddress.ipLiteral("0x7f.0.0.1"));
    assertEquals(
        Optional.of(InetAddress.getByName("2001:db8::1")), NetAddress.ipLiteral("2001:DB8::1"));
    assertEquals(Optional.empty(), NetAddress.ipLiteral("[2001:db8::1]"));
    assertEquals(Optional.empty(), NetAddress.ipLiteral("fe80::1%eth0"));
    assertEquals(Optional.empty(), NetAddress.ipLiteral("1::2::3"));
    assertEquals(Optional.empty(), NetAddress.ipLiteral("localhost"));
    // an IPv4-mapped literal stays an IPv6 address with the bytes written
    InetAddress mapped = NetAddress.ipLiteral("::ffff:127.0.0.1").orElseThrow();
    assertTrue(mapped instanceof Inet6Address, mapped.toString());
    assertEquals(127, mapped.getAddress()[12]);
  }

  @Test
  void parseEndpoint_bracketsForIpv6Only_portRange() {
    assertEquals("0.0.0.0:3333", NetAddress.parseEndpoint("0.0.0.0:3333").toString());
    assertEquals("[::1]:9735", NetAddress.parseEndpoint("[0:0::1]:9735").toString());
    assertEquals(
        "[2001:db8::1]:443", NetAddress.parseEndpoint("[2001:DB8:0:0:0:0:0:1]:443").toString());
    for (String bad :
        new String[] {
          "::1:443", "[127.0.0.1]:443", "0.0.0.0", "0.0.0.0:0", "0.0.0.0:65536", "0.0.0.0:+1",
          "0.0.0.0:01", "localhost:80", "[::1:80", ":80", "0.0.0.0:", ""
        }) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> NetAddress.parseEndpoint(bad), bad);
      assertFalse(e.getMessage().isEmpty());
    }
  }

  @Test
  void compressV6_rfc5952() throws Exception {
    assertEquals(
        "2001:db8::1", NetAddress.hostText(InetAddress.getByName("2001:db8:0:0:0:0:0:1"), false));
    assertEquals("::", NetAddress.hostText(InetAddress.getByName("::"), false));
    assertEquals("[::1]", NetAddress.hostText(InetAddress.getByName("::1"), true));
    assertEquals("1:0:2::3", NetAddress.hostText(InetAddress.getByName("1:0:2:0:0:0:0:3"), false));
    assertEquals(
        "fd00:ec2::254",
        NetAddress.hostText(InetAddress.getByName("fd00:ec2:0:0:0:0:0:254"), false));
  }

  @Test
  void requireHost_messagesNameTheField() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> NetAddress.requireHost("host", "a b"));
    assertTrue(e.getMessage().startsWith("host must be a host name"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> NetAddress.requirePort("port", 0));
    assertEquals("port must be from 1 to 65535, found 0", e.getMessage());
  }
}
