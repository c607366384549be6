package org.blvm.sign;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.blvm.policy.MinisignPublicKey;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PolicyCheckCommandTest {
  @TempDir Path tmp;

  @Test
  void check_examplePolicy_valid() {
    Run r = Run.loader("policy", "check", "../examples/policy/policy.toml");

    assertEquals(ExitCodes.OK, r.code(), r.toString());
    assertTrue(r.out().contains("section modules.lightning:"), r.toString());
  }

  @Test
  void check_missingOrNotAFile_exitsBadInputNamingIt() throws Exception {
    Path missing = tmp.resolve("absent.toml");
    Path dir = Files.createDirectory(tmp.resolve("dir.toml"));

    Run r = Run.loader("policy", "check", missing.toString());
    Run d = Run.loader("policy", "check", dir.toString());
    Run v = Run.sign("verify", "--policy", missing.toString(), tmp.toString());

    assertEquals(ExitCodes.INPUT, r.code(), r.toString());
    assertTrue(r.err().contains(missing + ": no such file"), r.toString());
    assertEquals(ExitCodes.INPUT, d.code(), d.toString());
    assertTrue(d.err().contains(dir + ": not a regular file"), d.toString());
    assertEquals(ExitCodes.INPUT, v.code(), v.toString());
    assertTrue(v.err().contains(missing + ": no such file"), v.toString());
  }

  @Test
  void check_badPolicy_printsEveryProblemWithLines() throws Exception {
    Path p = tmp.resolve("p.toml");
    Files.writeString(p, "threshold = 0\n[defaults]\ncapabilities = [\"sudo\"]\nbogus = 1\n");

    Run r = Run.loader("policy", "check", p.toString());

    assertEquals(ExitCodes.REFUSED, r.code(), r.toString());
    assertTrue(r.out().contains("3 problems"), r.toString());
    assertTrue(r.out().contains("line 1: key \"threshold\""), r.toString());
    assertTrue(r.out().contains("line 3: key \"defaults.capabilities\""), r.toString());
    assertTrue(r.out().contains("line 4: key \"defaults.bogus\""), r.toString());
  }

  @Test
  void check_networkRules_printedPerModule_broadOnesLoudly() throws Exception {
    Path p = tmp.resolve("p.toml");
    Files.write(
        p,
        List.of(
            "[defaults]",
            "capabilities = [\"network_connect\", \"network_listen\"]",
            "[defaults.network]",
            "max_sockets = 8",
            "[modules.hooks.network]",
            "connect = [\"hooks.example.org:443\", \"*.example.net:443\", \"203.0.113.7:8333\","
                + " \"127.0.0.1:8332\", \"10.1.2.3:80\", \"[fd00:ec2::254]:80\"]",
            "[modules.stratum.network]",
            "listen = [\"0.0.0.0:3333\", \"127.0.0.1:3334\"]",
            "[modules.mesh]",
            "network = \"host\"",
            "[modules.quiet]",
            "capabilities = []",
            "[modules.quiet.network]",
            "connect = [\"hooks.example.org:443\"]"));

    Run r = Run.loader("policy", "check", p.toString());

    assertEquals(ExitCodes.OK, r.code(), r.toString());
    String hooks = section(r.out(), "hooks");
    assertTrue(
        hooks.contains("network:       brokered (no network of its own), max_sockets 8,"), hooks);
    assertTrue(
        hooks.contains(
            "connect:       hooks.example.org:443, *.example.net:443, 203.0.113.7:8333,"
                + " 127.0.0.1:8332, 10.1.2.3:80, [fd00:ec2::254]:80\n"),
        hooks);
    assertTrue(hooks.contains("listen:        (none)"), hooks);
    assertTrue(
        hooks.contains("WARNING:       connect rule *.example.net:443 is a wildcard"), hooks);
    assertTrue(
        hooks.contains("WARNING:       connect rule 127.0.0.1:8332 names a loopback address"),
        hooks);
    assertTrue(
        hooks.contains("WARNING:       connect rule 10.1.2.3:80 names a private address"), hooks);
    assertTrue(
        hooks.contains("connect rule [fd00:ec2::254]:80 names a private (unique local) address"),
        hooks);
    // a name and a public literal are exactly one destination each: no warning
    assertEquals(4, count(hooks, "WARNING:"), hooks);

    String stratum = section(r.out(), "stratum");
    assertTrue(stratum.contains("listen:        0.0.0.0:3333, 127.0.0.1:3334"), stratum);
    assertTrue(
        stratum.contains("WARNING:       listen 0.0.0.0:3333 binds every interface"), stratum);
    assertEquals(1, count(stratum, "WARNING:"), stratum);

    String mesh = section(r.out(), "mesh");
    assertTrue(mesh.contains("network:       HOST (network = \"host\")"), mesh);
    assertTrue(mesh.contains("WARNING:       network = \"host\""), mesh);
    assertTrue(mesh.contains("every abstract Unix socket of the host"), mesh);

    String quiet = section(r.out(), "quiet");
    assertTrue(
        quiet.contains(
            "connect:       hooks.example.org:443 (unused: network_connect is not allowed)"),
        quiet);
    String defaults = r.out().substring(0, r.out().indexOf("section modules."));
    assertTrue(defaults.contains("connect:       (none)"), defaults);
    assertEquals(0, count(defaults, "WARNING:"), defaults);
  }

  /** The lines {@code policy check} prints for {@code [modules.NAME]}. */
  private static String section(String out, String name) {
    int from = out.indexOf("section modules." + name + ":");
    assertTrue(from >= 0, out);
    int to = out.indexOf("section modules.", from + 1);
    return out.substring(from, to < 0 ? out.length() : to);
  }

  private static int count(String text, String needle) {
    int n = 0;
    for (int i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + 1)) {
      n++;
    }
    return n;
  }

  @Test
  void check_withModules_explainsAdmitAndRefuse() throws Exception {
    Path modules = tmp.resolve("modules");
    Run.sign(
        "keygen",
        "-W",
        "-p",
        tmp.resolve("k.pub").toString(),
        "-s",
        tmp.resolve("k.key").toString());
    Path good = BlvmSignTest.module(modules, "good", "1.0.0");
    Run.sign("sign", "-s", tmp.resolve("k.key").toString(), good.toString());
    BlvmSignTest.module(modules, "unsigned", "1.0.0");
    Path p = tmp.resolve("p.toml");
    Files.writeString(
        p,
        "[[keys]]\nname = \"dev\"\npublic_key = \""
            + MinisignPublicKey.read(tmp.resolve("k.pub")).encoded()
            + "\"\n[defaults]\ncapabilities = [\"read_blockchain\"]\n"
            + "on_disallowed_capability = \"drop\"\n[defaults.limits]\ncpu_seconds = 0\n"
            + "[modules.good]\nlimits = { processes = 12 }\n[modules.absent]\n");

    Run r = Run.loader("policy", "check", p.toString(), "--modules", modules.toString());

    assertEquals(ExitCodes.REFUSED, r.code(), r.toString());
    assertTrue(r.out().contains("module good 1.0.0: ADMIT"), r.toString());
    assertTrue(r.out().contains("signed by:     dev ("), r.toString());
    assertTrue(r.out().contains("  files:         1 file, 3000 bytes, tree sha256 "), r.toString());
    assertTrue(r.out().contains("                 mod.bin  3000 bytes  sha256 "), r.toString());
    assertTrue(r.out().contains("granted:       read_blockchain"), r.toString());
    assertTrue(r.out().contains("dropped:       network_connect"), r.toString());
    assertTrue(r.out().contains("module unsigned: REFUSE (UnsignedModuleException)"), r.toString());
    assertTrue(r.out().contains("section modules.absent: no directory"), r.toString());
    // what the policy writes is shown; what it does not is the loader's to decide
    assertTrue(r.out().contains("sandbox:       profile (loader default)"), r.toString());
    assertTrue(
        r.out()
            .contains(
                "limits:        memory (loader default), cpu unlimited, open files (loader"
                    + " default), processes 12, disk (largest file) (loader default), data"
                    + " directory (loader default) in (loader default)"),
        r.toString());
    assertTrue(r.out().contains("2 module(s): 1 admitted, 1 refused"), r.toString());
    // the admitted module's exposure: its grant, the policy's single key, the inherited CPU limit,
    // its data
    assertTrue(r.out().contains("exposure of good:"), r.toString());
    assertTrue(
        r.out().contains("+0.1  cap_read_blockchain: reads blocks, headers and transactions"),
        r.toString());
    assertTrue(r.out().contains("+0.3  single_key: threshold = 1"), r.toString());
    assertTrue(r.out().contains("fix: raise threshold to 2"), r.toString());
    assertTrue(r.out().contains("not scored: how its sandbox runs"), r.toString());
    // [defaults.limits] cpu_seconds = 0 reaches the module (its own limits set processes only)
    assertTrue(r.out().contains("+0.5  cpu_unlimited: limits.cpu_seconds = 0"), r.toString());
    assertTrue(r.out().contains("+0.1  writable_paths:"), r.toString());
    assertTrue(r.out().contains("overall exposure 1.0 of 10 LOW"), r.toString());
    assertTrue(r.out().contains("exposure good: 1.0 LOW"), r.toString());
  }
}
