package org.blvm.node.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.blvm.policy.Admission;
import org.blvm.policy.AdmittedModule;
import org.blvm.policy.MinisignPublicKey;
import org.blvm.policy.ModulePolicy;
import org.blvm.policy.Policy;
import org.blvm.protocol.Capability;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The demo's home: the dev key and the node config private, the policy granting each module exactly
 * its row of docs/modules.md (its manifest's capabilities, nothing by default), the network rules
 * naming only the loopback ports the demo uses, and the webhook secret in the node config only.
 */
class DemoLayoutTest {
  private static final String SECRET = "0123456789abcdef0123456789abcdef";
  private static final DemoLayout.Ports PORTS = new DemoLayout.Ports(40001, 40002, 40003);

  @TempDir Path tmp;

  /**
   * A checkout's {@code modules/} with each module's real manifest (from its sources) beside a
   * placeholder jar.
   */
  static Path builtModules(Path dir) throws IOException {
    for (String m : List.of("blvm-governance", "blvm-stratum-v2", "blvm-mesh", "blvm-lightning")) {
      Path out = Files.createDirectories(dir.resolve(m).resolve("target").resolve("module"));
      Path src = Path.of("..", "modules", m, "src", "main", "module", "module.toml");
      Files.copy(src, out.resolve("module.toml"));
      Files.writeString(out.resolve(m + ".jar"), "a jar");
    }
    return dir;
  }

  private Path layOut() throws IOException {
    Path home = tmp.resolve("home");
    DemoHome.prepare(home);
    Path jar = Files.writeString(tmp.resolve("module.jar"), "a jar");
    DemoLayout.Built built = DemoLayout.Built.fromCheckout(builtModules(tmp.resolve("built")), jar);
    List<String> names = DemoLayout.write(home, built, PORTS, SECRET, new SecureRandom());
    assertEquals(
        List.of(
            "blvm-governance",
            "blvm-stratum-v2",
            "mesh-a",
            "mesh-b",
            "blvm-lightning",
            "mesh-probe"),
        names);
    return home;
  }

  private static Set<String> wire(Set<Capability> caps) {
    return caps.stream().map(Capability::wireName).collect(Collectors.toCollection(TreeSet::new));
  }

  private static Set<String> row(String quoted) {
    return Arrays.stream(quoted.split(","))
        .map(s -> s.trim().replace("\"", ""))
        .collect(Collectors.toCollection(TreeSet::new));
  }

  @Test
  void layout_eachModuleAdmittedWithExactlyItsRowsCapabilities() throws Exception {
    Path home = layOut();
    Policy policy = Policy.read(home.resolve("policy.toml"));
    MinisignPublicKey pub = MinisignPublicKey.read(home.resolve("keys/dev.pub"));
    assertEquals(List.of(pub.keyId()), policy.trustedKeys().stream().map(k -> k.keyId()).toList());
    assertEquals(Set.of(), policy.defaults().capabilities(), "nothing granted by default");
    Admission check = Admission.builder().policy(policy).build();
    // the rows of docs/modules.md, written out here so that a change of the layout shows
    assertEquals(
        row(
            "subscribe_events, read_blockchain, read_network, read_config, network_connect,"
                + " publish_events"),
        row(DemoLayout.CAPABILITIES.get("blvm-governance")));
    assertEquals(
        row(
            "read_chain_state, read_blockchain, submit_block, subscribe_events, publish_events,"
                + " network_listen"),
        row(DemoLayout.CAPABILITIES.get("blvm-stratum-v2")));
    assertEquals(
        row("read_blockchain, read_mempool, subscribe_events, publish_events"),
        row(DemoLayout.CAPABILITIES.get("blvm-lightning")));
    for (String name : DemoLayout.CAPABILITIES.keySet()) {
      AdmittedModule m = check.check(home.resolve("modules").resolve(name));
      assertEquals(Set.of(pub.keyId()), m.signerKeyIds(), name);
      assertEquals(name, m.manifest().name(), name);
      Set<String> granted = wire(m.grantedCapabilities());
      assertEquals(row(DemoLayout.CAPABILITIES.get(name)), granted, name);
      assertEquals(wire(m.manifest().capabilities()), granted, name + ": exactly its manifest's");
      assertEquals(Set.of(), m.droppedCapabilities(), name);
    }
  }

  @Test
  void layout_networkRulesNameOnlyTheDemosLoopbackPorts() throws Exception {
    Path home = layOut();
    Policy policy = Policy.read(home.resolve("policy.toml"));
    ModulePolicy gov = policy.forModule("blvm-governance");
    assertEquals(List.of("governance"), gov.configSections());
    assertEquals(List.of("governance.webhook_secret"), gov.configSecrets());
    assertEquals(1, gov.network().connect().size());
    assertTrue(gov.network().connect().get(0).toString().contains("127.0.0.1"));
    assertTrue(gov.network().connect().get(0).toString().contains("40001"));
    assertEquals(List.of(), gov.network().listen());
    ModulePolicy pool = policy.forModule("blvm-stratum-v2");
    assertEquals("[127.0.0.1:40002]", pool.network().listen().toString());
    assertEquals(List.of(), pool.network().connect());
    assertEquals("[127.0.0.1:40003]", policy.forModule("mesh-b").network().listen().toString());
    assertEquals(List.of(), policy.forModule("mesh-b").network().connect());
    assertEquals(Set.of("mesh-probe"), policy.forModule("mesh-b").callableModules());
    assertEquals(List.of(), policy.forModule("mesh-a").network().listen());
    assertEquals(1, policy.forModule("mesh-a").network().connect().size());
    assertEquals(Set.of("mesh-a"), policy.forModule("mesh-probe").callableModules());
    for (String other : List.of("blvm-stratum-v2", "mesh-a", "mesh-b", "blvm-lightning")) {
      assertEquals(List.of(), policy.forModule(other).configSections(), other);
      assertEquals(List.of(), policy.forModule(other).configSecrets(), other);
    }
    assertEquals(List.of(), policy.forModule("blvm-lightning").network().connect());
    assertEquals(List.of(), policy.forModule("blvm-lightning").network().listen());
    assertEquals(Set.of(), policy.forModule("blvm-lightning").callableModules());
  }

  @Test
  void layout_secretOnlyInTheNodeConfig_0600_keysPrivate() throws Exception {
    Path home = layOut();
    assertEquals("rw-------", mode(home.resolve("node.toml")));
    assertEquals("rw-------", mode(home.resolve("keys/dev.key")));
    assertEquals("rwx------", mode(home.resolve("keys")));
    assertTrue(Files.readString(home.resolve("node.toml")).contains(SECRET));
    try (var s = Files.walk(home)) {
      for (Path p : s.filter(Files::isRegularFile).toList()) {
        if (!p.equals(home.resolve("node.toml")) && !p.toString().endsWith(".jar")) {
          assertFalse(Files.readString(p).contains(SECRET), p + " holds the secret");
        }
      }
    }
    // the module config files: mesh-a dials mesh-b's port, the pool listens on its own
    assertTrue(Files.readString(home.resolve("modules/mesh-a.toml")).contains("127.0.0.1:40003"));
    assertTrue(
        Files.readString(home.resolve("modules/blvm-stratum-v2.toml"))
            .contains("listen = \"127.0.0.1:40002\""));
    assertTrue(
        Files.readString(home.resolve("node.toml"))
            .contains("webhook_url = \"http://127.0.0.1:40001/blvm\""));
  }

  private static String mode(Path p) throws IOException {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
  }
}
