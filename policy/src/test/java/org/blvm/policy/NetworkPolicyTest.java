package org.blvm.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.util.List;
import java.util.Optional;
import org.blvm.protocol.NetAddress;
import org.junit.jupiter.api.Test;

/** The {@code network} key of a module's policy: rules, addresses, limits and "host". */
class NetworkPolicyTest {
  private static Policy parse(String toml) throws PolicyException {
    return Fixtures.policy(toml);
  }

  private static List<PolicyException.Problem> problems(String toml) {
    return assertThrows(PolicyException.class, () -> parse(toml)).problems();
  }

  private static PolicyException.Problem onlyProblem(String toml) {
    List<PolicyException.Problem> p = problems(toml);
    assertEquals(1, p.size(), p.toString());
    return p.get(0);
  }

  @Test
  void parse_tableWithRulesAndLimits_frozenInCanonicalForm() throws Exception {
    Policy p =
        parse(
            "[defaults.network]\nconnects_per_second = 3\n"
                + "[modules.mesh.network]\n"
                + "connect = [\"Hooks.Example.org:443\", \"203.0.113.7:8333\","
                + " \"*.example.net:443\", \"[2001:DB8::1]:443\"]\n"
                + "listen = [\"0.0.0.0:3333\", \"127.0.0.1:9735\", \"[::1]:9735\"]\n"
                + "max_sockets = 8\n");

    NetworkPolicy n = p.forModule("mesh").network();
    assertEquals(
        List.of(
            "hooks.example.org:443", "203.0.113.7:8333", "*.example.net:443", "[2001:db8::1]:443"),
        n.connect().stream().map(ConnectRule::toString).toList());
    assertEquals(
        List.of("0.0.0.0:3333", "127.0.0.1:9735", "[::1]:9735"),
        n.listen().stream().map(NetAddress.Endpoint::toString).toList());
    assertEquals(8, n.maxSockets());
    assertEquals(3, n.connectsPerSecond(), "limits are laid over [defaults.network] key by key");
    assertFalse(n.host());
    assertEquals(3, p.forModule("other").network().connectsPerSecond());
    assertEquals(List.of(), p.forModule("other").network().connect());
  }

  @Test
  void parse_hostString_isTheEscapeHatch_perModuleOnly() throws Exception {
    assertTrue(
        parse("[modules.legacy]\nnetwork = \"host\"\n").forModule("legacy").network().host());

    PolicyException.Problem d = onlyProblem("[defaults]\nnetwork = \"host\"\n");
    assertEquals("defaults.network", d.key());
    assertEquals(2, d.line());
    assertTrue(d.message().contains("per module only"), d.message());

    PolicyException.Problem s = onlyProblem("[modules.m]\nnetwork = \"shared\"\n");
    assertEquals("modules.m.network", s.key());
    assertTrue(s.message().contains("or the string \"host\", found \"shared\""), s.message());
    assertEquals("modules.m.network", onlyProblem("[modules.m]\nnetwork = 1\n").key());
  }

  @Test
  void parse_rulesAndAddressesInDefaults_refused() {
    List<PolicyException.Problem> p =
        problems("[defaults.network]\nconnect = [\"a.org:1\"]\nlisten = [\"0.0.0.0:1\"]\n");
    assertEquals(
        List.of("defaults.network.connect", "defaults.network.listen"),
        p.stream().map(PolicyException.Problem::key).toList());
    assertTrue(p.get(0).message().contains("per module only"), p.get(0).message());
    assertEquals(2, p.get(0).line());
  }

  @Test
  void parse_badEntries_eachReportedWithItsPositionKeyAndLine() {
    List<PolicyException.Problem> p =
        problems(
            "threshold = 1\n[modules.m.network]\nconnect = [\n"
                + " \"ok.org:443\", \"no-port.org\", \"a.org:0\", \"a.org:65536\", \"*.org:1\","
                + " \"a.*.org:1\", \"*:1\", \"::1:443\", \"[127.0.0.1]:1\", \"a_b.org:1\","
                + " \"OK.org:443\", \"1.2.3:80\", \"[fe80::1%eth0]:1\"\n]\n");
    List<String> messages = p.stream().map(PolicyException.Problem::message).toList();
    assertEquals(12, p.size(), String.join("\n", messages));
    for (PolicyException.Problem q : p) {
      assertEquals("modules.m.network.connect", q.key());
      assertEquals(3, q.line());
    }
    assertTrue(
        messages.get(0).startsWith("entry 2 \"no-port.org\": must be written host:port"),
        messages.get(0));
    assertTrue(messages.get(1).contains("from 1 to 65535"), messages.get(1));
    assertTrue(messages.get(3).contains("at least two labels"), messages.get(3));
    assertTrue(messages.get(4).contains("only as the whole first label"), messages.get(4));
    assertTrue(
        messages.get(9).startsWith("entry 11 \"OK.org:443\" is listed twice"), messages.get(9));
  }

  @Test
  void parse_listenEntries_onlyAddresses_noDuplicatesOrOverlaps() {
    List<PolicyException.Problem> p =
        problems(
            "[modules.m.network]\nlisten = [\"0.0.0.0:80\", \"localhost:81\", \"127.0.0.1:80\","
                + " \"[::]:90\", \"[0::0]:90\", \"10.0.0.1:80:1\", \"::1:80\"]\n");
    List<String> m = p.stream().map(PolicyException.Problem::message).toList();
    assertEquals(5, p.size(), String.join("\n", m));
    assertTrue(m.get(0).contains("names are not allowed here"), m.get(0));
    assertTrue(m.get(1).contains("overlaps 0.0.0.0:80"), m.get(1));
    assertTrue(m.get(2).contains("is listed twice (as [::]:90)"), m.get(2));
  }

  @Test
  void parse_sameListenAddressInTwoModules_refused() {
    PolicyException.Problem p =
        onlyProblem(
            "[modules.a.network]\nlisten = [\"0.0.0.0:3333\"]\n"
                + "[modules.b.network]\nlisten = [\"127.0.0.1:3333\"]\n");
    assertEquals("modules.b.network.listen", p.key());
    assertEquals(4, p.line());
    assertTrue(p.message().contains("also a listening address of module a"), p.message());
  }

  @Test
  void parse_limitsBounded_unknownKeysRefused() {
    assertEquals(
        "modules.m.network.max_sockets",
        onlyProblem("[modules.m.network]\nmax_sockets = 0\n").key());
    assertEquals(
        "modules.m.network.connects_per_second",
        onlyProblem("[modules.m.network]\nconnects_per_second = 10001\n").key());
    PolicyException.Problem u = onlyProblem("[modules.m.network]\nconect = []\n");
    assertEquals("modules.m.network.conect", u.key());
    assertTrue(u.message().contains("connect, connects_per_second, listen, max_sockets"));
    assertTrue(
        onlyProblem("[modules.m.network]\nconnect = [" + "\"a.org:1\",".repeat(257) + "]\n")
            .message()
            .contains("more than 256 entries"));
  }

  @Test
  void matches_exactWildcardAndLiteral() throws Exception {
    ConnectRule exact = ConnectRule.parse("hooks.example.org:443");
    assertTrue(exact.matches("HOOKS.example.org", Optional.empty(), 443));
    assertFalse(exact.matches("hooks.example.org", Optional.empty(), 80));
    assertFalse(exact.matches("x.hooks.example.org", Optional.empty(), 443));

    ConnectRule wild = ConnectRule.parse("*.example.net:443");
    assertTrue(wild.matches("a.example.net", Optional.empty(), 443));
    assertTrue(wild.matches("a.b.example.net", Optional.empty(), 443));
    assertFalse(wild.matches("example.net", Optional.empty(), 443));
    assertFalse(wild.matches("badexample.net", Optional.empty(), 443));

    InetAddress lit = InetAddress.getByName("127.0.0.1");
    ConnectRule loop = ConnectRule.parse("127.0.0.1:80");
    assertTrue(loop.matches("127.0.0.1", Optional.of(lit), 80));
    assertTrue(loop.matches("::ffff:127.0.0.1", NetAddress.ipLiteral("::ffff:127.0.0.1"), 80));
    assertFalse(loop.matches("localhost", Optional.empty(), 80), "a name never matches an address");
    assertFalse(exact.matches("93.184.216.34", NetAddress.ipLiteral("93.184.216.34"), 443));
    assertTrue(loop.namesLiteral(lit));
    assertFalse(exact.namesLiteral(lit));
  }
}
