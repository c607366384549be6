package org.blvm.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import org.blvm.protocol.Capability;
import org.junit.jupiter.api.Test;

class PolicyTest {
  private static final MinisignSecretKey K1 = Fixtures.key();
  private static final MinisignSecretKey K2 = Fixtures.key();

  private static PolicyException.Problem onlyProblem(String toml) {
    PolicyException e = assertThrows(PolicyException.class, () -> Fixtures.policy(toml));
    assertEquals(1, e.problems().size(), e.getMessage());
    return e.problems().get(0);
  }

  @Test
  void read_examplePolicy_isValidAndMeansWhatItsCommentsSay() throws Exception {
    Policy p = Policy.read(Path.of("..", "examples", "policy", "policy.toml"));

    assertEquals(1, p.threshold());
    assertEquals(3, p.trustedKeys().size());
    assertEquals(Set.of(KeyId.parse("B4282A5E0FB6DA29")), p.revoked());
    assertEquals(Instant.parse("2027-01-01T00:00:00Z"), p.trustedKeys().get(0).notAfter());
    ModulePolicy ln = p.forModule("lightning");
    assertEquals(2, ln.threshold());
    assertTrue(ln.capabilities().contains(Capability.NETWORK_CONNECT));
    assertTrue(ln.capabilities().contains(Capability.NETWORK_LISTEN));
    assertFalse(ln.network().host());
    assertEquals(
        List.of("*.lightning-provider.example:9735", "127.0.0.1:10009", "[2001:db8::1]:9735"),
        ln.network().connect().stream().map(ConnectRule::toString).toList());
    assertEquals(
        List.of("0.0.0.0:9735"), ln.network().listen().stream().map(Object::toString).toList());
    assertEquals(32, ln.network().maxSockets());
    assertEquals(5, ln.network().connectsPerSecond());
    assertEquals(OptionalInt.of(1024), ln.limits().memoryMb());
    assertEquals(OptionalInt.of(128), ln.limits().processes());
    assertEquals(OptionalInt.of(256), ln.limits().openFiles(), "limits are overridden key by key");
    assertEquals(ModulePolicy.EventOverflow.DISCONNECT, ln.eventOverflow());
    assertEquals(List.of("network.proxy_password"), ln.configSecrets());
    assertEquals(new RateLimit(5000, 2000), ln.rateLimit(), "rate_limit is overridden key by key");
    assertTrue(ln.mayCall("fee-watch"));
    assertFalse(ln.mayCall("lightning"));
    ModulePolicy fw = p.forModule("fee-watch");
    assertEquals(ModulePolicy.DisallowedCapability.DROP, fw.onDisallowedCapability());
    assertEquals(RestartRule.Mode.ALWAYS, fw.restart().mode());
    assertEquals(5, fw.restart().maxRestarts());
    assertTrue(p.forModule("my-dev-module").allowUnsigned());
    ModulePolicy other = p.forModule("unknown-module");
    assertEquals("defaults", other.section());
    assertEquals(RateLimit.DEFAULT, other.rateLimit());
    assertEquals(List.of(), other.configSecrets());
    assertFalse(other.allowUnsigned());
    assertEquals(ModulePolicy.DisallowedCapability.REJECT, other.onDisallowedCapability());
    assertEquals(NetworkPolicy.NONE, other.network());
  }

  @Test
  void parse_empty_refused() {
    assertEquals("empty policy", onlyProblem("").message());
  }

  @Test
  void parse_unknownRootKey_namesKeyAndLine() {
    PolicyException.Problem p = onlyProblem("threshold = 1\n\nthreshhold = 2\n");

    assertEquals("threshhold", p.key());
    assertEquals(3, p.line());
  }

  @Test
  void parse_unknownModuleKey_namesDottedKeyAndLine() {
    PolicyException.Problem p =
        onlyProblem("[modules.fee-watch]\ncapabilities = []\nmemory_mb = 5\n");

    assertEquals("modules.fee-watch.memory_mb", p.key());
    assertEquals(3, p.line());
  }

  @Test
  void parse_duplicateKey_refusedWithLine() {
    PolicyException.Problem p = onlyProblem("threshold = 1\nthreshold = 2\n");

    assertEquals(2, p.line());
    assertTrue(p.message().toLowerCase().contains("duplicate"), p.message());
  }

  @Test
  void parse_wrongType_namesKey() {
    PolicyException.Problem p = onlyProblem("[defaults.limits]\nmemory_mb = \"lots\"\n");

    assertEquals("defaults.limits.memory_mb", p.key());
    assertEquals(2, p.line());
    assertTrue(p.message().contains("integer"), p.message());
  }

  @Test
  void parse_outOfRange_namesValueAndRange() {
    PolicyException.Problem p = onlyProblem("[defaults]\nlimits = { processes = 0 }\n");

    assertEquals("defaults.limits.processes", p.key());
    assertEquals(2, p.line());
    assertTrue(p.message().contains("from 1 to 65536, found 0"), p.message());
  }

  @Test
  void parse_rateLimitZero_meansUnlimited_andBurstMustBePositive() throws Exception {
    assertTrue(
        Fixtures.policy("[defaults]\nrate_limit = { requests_per_second = 0 }\n")
            .defaults()
            .rateLimit()
            .unlimited());
    PolicyException.Problem p =
        onlyProblem("[defaults]\nrate_limit = { requests_per_second = 5, burst = 0 }\n");
    assertEquals("defaults.rate_limit.burst", p.key());
  }

  @Test
  void parse_configSecretsMustBeKeyPaths() {
    PolicyException.Problem p = onlyProblem("[defaults]\nconfig_secrets = [\"rpc..password\"]\n");

    assertEquals("defaults.config_secrets", p.key());
    assertTrue(p.message().contains("dotted key path"), p.message());
  }

  @Test
  void parse_callableModulesWildcard_allowsEveryModule() throws Exception {
    ModulePolicy d = Fixtures.policy("[defaults]\ncallable_modules = [\"*\"]\n").defaults();

    assertTrue(d.mayCall("anything"));
  }

  @Test
  void parse_unknownCapability_refused() {
    PolicyException.Problem p = onlyProblem("[defaults]\ncapabilities = [\"root_shell\"]\n");

    assertEquals("defaults.capabilities", p.key());
    assertTrue(p.message().contains("root_shell"), p.message());
  }

  @Test
  void parse_allowUnsignedInDefaults_refused() {
    PolicyException.Problem p = onlyProblem("[defaults]\nallow_unsigned = true\n");

    assertEquals("defaults.allow_unsigned", p.key());
  }

  @Test
  void parse_badEnumValue_listsChoices() {
    PolicyException.Problem p = onlyProblem("[defaults]\nevent_overflow = \"block\"\n");

    assertTrue(p.message().contains("drop_oldest | disconnect"), p.message());
  }

  @Test
  void parse_badPublicKey_namesKeyEntry() {
    PolicyException.Problem p = onlyProblem("[[keys]]\nname = \"x\"\npublic_key = \"RWQ=\"\n");

    assertEquals("keys[0].public_key", p.key());
    assertEquals(3, p.line());
  }

  @Test
  void parse_thresholdAboveUsableKeys_refused() {
    PolicyException.Problem p =
        onlyProblem(
            "threshold = 2\nrevoked = [\""
                + K2.keyId()
                + "\"]\n"
                + Fixtures.keyEntry("a", K1, "")
                + Fixtures.keyEntry("b", K2, ""));

    assertEquals("threshold", p.key());
    assertTrue(p.message().contains("only 1"), p.message());
  }

  @Test
  void parse_sameKeyTwice_refused() {
    PolicyException.Problem p =
        onlyProblem(Fixtures.keyEntry("a", K1, "") + Fixtures.keyEntry("b", K1, ""));

    assertEquals("keys[1].public_key", p.key());
  }

  @Test
  void parse_sameEd25519KeyUnderTwoKeyIds_refused() {
    byte[] b = java.util.Base64.getDecoder().decode(K1.publicKey().encoded());
    b[2] ^= 1;
    String renamed = java.util.Base64.getEncoder().encodeToString(b);

    PolicyException.Problem p =
        onlyProblem(
            Fixtures.keyEntry("a", K1, "")
                + "[[keys]]\nname = \"b\"\npublic_key = \""
                + renamed
                + "\"\n");

    assertEquals("keys[1].public_key", p.key());
    assertTrue(p.message().contains("another key id"), p.message());
  }

  @Test
  void parse_windowBackwards_refused() {
    PolicyException.Problem p =
        onlyProblem(
            Fixtures.keyEntry(
                "a", K1, "not_before = 2027-01-01T00:00:00Z\nnot_after = 2026-01-01T00:00:00Z"));

    assertEquals("keys[0].not_after", p.key());
  }

  @Test
  void parse_localDateTime_refusedAsNeedingOffset() {
    PolicyException.Problem p =
        onlyProblem(Fixtures.keyEntry("a", K1, "not_after = 2027-01-01T00:00:00"));

    assertTrue(p.message().contains("offset"), p.message());
  }

  @Test
  void parse_manyProblems_reportedTogether() {
    PolicyException e =
        assertThrows(
            PolicyException.class,
            () ->
                Fixtures.policy(
                    "threshold = 0\nbogus = 1\n[defaults]\nsandbox_profile = \"Bad!\"\n"
                        + "[modules.Bad]\n[modules.ok]\nrestart = { mode = \"sometimes\" }\n"));

    List<String> keys = e.problems().stream().map(PolicyException.Problem::key).toList();
    assertEquals(
        List.of(
            "bogus",
            "threshold",
            "defaults.sandbox_profile",
            "modules.Bad",
            "modules.ok.restart.mode"),
        keys);
    assertTrue(e.getMessage().contains("[5 of 5]"), e.getMessage());
  }

  @Test
  void connectTimeout_defaultLayeredAndOutOfRangeRefused() throws Exception {
    Policy p =
        Fixtures.policy(
            "[defaults]\nconnect_timeout_seconds = 12\n"
                + "[modules.m]\nconnect_timeout_seconds = 3\n[modules.n]\n");
    assertEquals(12, p.defaults().connectTimeoutSeconds());
    assertEquals(3, p.forModule("m").connectTimeoutSeconds());
    assertEquals(12, p.forModule("n").connectTimeoutSeconds());
    assertEquals(
        ModulePolicy.DEFAULT_CONNECT_TIMEOUT_SECONDS,
        Fixtures.policy("[modules.m]\n").forModule("m").connectTimeoutSeconds());

    PolicyException.Problem zero = onlyProblem("[defaults]\nconnect_timeout_seconds = 0\n");
    assertEquals("defaults.connect_timeout_seconds", zero.key());
    assertTrue(zero.message().contains("from 1 to 3600"), zero.message());
    PolicyException.Problem text = onlyProblem("[modules.m]\nconnect_timeout_seconds = \"30\"\n");
    assertEquals("modules.m.connect_timeout_seconds", text.key());
    assertTrue(text.message().contains("must be an integer"), text.message());
  }

  @Test
  void start_eagerByDefault_onDemandWithIdleSecondsLayered_andBadValuesRefused() throws Exception {
    Policy p =
        Fixtures.policy(
            "[defaults]\nidle_seconds = 60\n"
                + "[modules.m]\nstart = \"on_demand\"\n"
                + "[modules.n]\nstart = \"on_demand\"\nidle_seconds = 5\n[modules.o]\n");
    assertEquals(StartRule.Mode.EAGER, p.defaults().start().mode());
    assertTrue(p.forModule("m").start().onDemand());
    assertEquals(60, p.forModule("m").start().idleSeconds());
    assertEquals(5, p.forModule("n").start().idleSeconds());
    assertFalse(p.forModule("o").start().onDemand());
    assertEquals(
        StartRule.DEFAULT_IDLE_SECONDS,
        Fixtures.policy("[modules.m]\n").forModule("m").start().idleSeconds());

    PolicyException.Problem mode = onlyProblem("[modules.m]\nstart = \"lazy\"\n");
    assertEquals("modules.m.start", mode.key());
    assertTrue(mode.message().contains("eager | on_demand"), mode.message());
    PolicyException.Problem zero = onlyProblem("[modules.m]\nidle_seconds = 0\n");
    assertEquals("modules.m.idle_seconds", zero.key());
    PolicyException.Problem big = onlyProblem("[defaults]\nidle_seconds = 86401\n");
    assertEquals("defaults.idle_seconds", big.key());
  }

  @Test
  void forModule_sectionOverridesOnlyWhatItSets() throws Exception {
    Policy p =
        Fixtures.policy(
            "[defaults]\ncapabilities = [\"read_blockchain\"]\nconfig_sections = [\"network\"]\n"
                + "[defaults.restart]\nmax_restarts = 2\n"
                + "[modules.m]\nrestart = { mode = \"never\" }\n");

    ModulePolicy m = p.forModule("m");
    assertEquals(Set.of(Capability.READ_BLOCKCHAIN), m.capabilities());
    assertEquals(List.of("network"), m.configSections());
    assertEquals(RestartRule.Mode.NEVER, m.restart().mode());
    assertEquals(2, m.restart().maxRestarts());
    assertEquals(Set.of("restart"), m.overrides());
  }

  @Test
  void limitsAndProfile_fromDefaultsAndModuleSection_unwrittenAreEmpty() throws Exception {
    Policy p =
        Fixtures.policy(
            "[defaults]\nsandbox_profile = \"default\"\n"
                + "[defaults.limits]\nopen_files = 256\n"
                + "[modules.m]\nlimits = { processes = 8, cpu_seconds = 0 }\n"
                + "[modules.n]\nsandbox_profile = \"strict\"\n");

    ModulePolicy m = p.forModule("m");
    assertEquals(
        new LimitSettings(
            OptionalInt.empty(),
            OptionalInt.of(0),
            OptionalInt.of(256),
            OptionalInt.of(8),
            OptionalInt.empty(),
            OptionalInt.empty(),
            OptionalInt.empty()),
        m.limits(),
        "open_files written in [defaults] (same value as the old built-in), cpu_seconds = 0"
            + " written (unlimited); memory_mb and disk_mb not written");
    assertEquals(
        List.of("limits.cpu_seconds", "limits.open_files", "limits.processes"),
        m.limits().writtenKeys());
    assertEquals(Optional.of("default"), m.sandboxProfile(), "from [defaults]");
    assertEquals(Set.of("limits"), m.overrides());
    ModulePolicy n = p.forModule("n");
    assertEquals(List.of("limits.open_files"), n.limits().writtenKeys());
    assertEquals(Optional.of("strict"), n.sandboxProfile());
    assertEquals(Optional.of("default"), p.defaults().sandboxProfile());
    assertEquals(List.of("limits.open_files"), p.defaults().limits().writtenKeys());
  }

  @Test
  void limitsAndProfile_nothingWritten_empty_andTrustingSetsNone() throws Exception {
    Policy p = Fixtures.policy("[modules.m]\ncapabilities = []\n");

    assertEquals(LimitSettings.NONE, p.forModule("m").limits());
    assertEquals(Optional.empty(), p.forModule("m").sandboxProfile());
    assertEquals(LimitSettings.NONE, p.forModule("other").limits());
    assertEquals(List.of(), LimitSettings.NONE.writtenKeys());
    ModulePolicy t = Policy.trusting(List.of(), 1).forModule("x");
    assertEquals(LimitSettings.NONE, t.limits());
    assertEquals(Optional.empty(), t.sandboxProfile());
  }

  @Test
  void limits_invalidValue_reportedAndLeftUnset() {
    PolicyException.Problem pr = onlyProblem("[modules.m.limits]\nprocesses = 0\n");
    assertEquals("modules.m.limits.processes", pr.key());
    assertTrue(pr.message().contains("from 1 to 65536, found 0"), pr.message());
  }

  @Test
  void dataLimits_writtenInDefaultsAndModule_layeredKeyByKey() throws Exception {
    Policy p =
        Fixtures.policy(
            "[defaults.limits]\ndata_mb = 2048\ndata_files = 50000\n"
                + "[modules.m]\nlimits = { data_mb = 1 }\n"
                + "[modules.n]\nlimits = { data_files = 10000000, data_mb = 16777216 }\n");

    LimitSettings m = p.forModule("m").limits();
    assertEquals(OptionalInt.of(1), m.dataMb());
    assertEquals(OptionalInt.of(50000), m.dataFiles(), "from [defaults]");
    assertEquals(List.of("limits.data_mb", "limits.data_files"), m.writtenKeys());
    LimitSettings n = p.forModule("n").limits();
    assertEquals(OptionalInt.of(16777216), n.dataMb(), "the highest data_mb");
    assertEquals(OptionalInt.of(Policy.MAX_DATA_FILES), n.dataFiles(), "the highest data_files");
    assertEquals(OptionalInt.empty(), LimitSettings.NONE.dataMb());
    assertEquals(
        OptionalInt.empty(), Policy.trusting(List.of(), 1).forModule("x").limits().dataMb());
  }

  @Test
  void dataLimits_outOfRangeOrWrongType_eachReportedWithItsKeyAndLeftUnset() {
    PolicyException e =
        assertThrows(
            PolicyException.class,
            () ->
                Fixtures.policy(
                    "[modules.a.limits]\ndata_mb = 0\n"
                        + "[modules.b.limits]\ndata_mb = 16777217\n"
                        + "[modules.c.limits]\ndata_files = 0\n"
                        + "[modules.d.limits]\ndata_files = 10000001\n"
                        + "[modules.e.limits]\ndata_mb = \"1024\"\n"
                        + "[modules.f.limits]\ndata_files = 1.5\n"
                        + "[modules.g.limits]\ndata_gb = 1\n"));

    List<String> seen = new java.util.ArrayList<>();
    for (PolicyException.Problem pr : e.problems()) {
      seen.add(pr.key() + ": " + pr.message());
    }
    assertEquals(7, seen.size(), String.join("\n", seen));
    assertTrue(
        seen.contains("modules.a.limits.data_mb: must be from 1 to 16777216, found 0"),
        seen.toString());
    assertTrue(
        seen.contains("modules.b.limits.data_mb: must be from 1 to 16777216, found 16777217"),
        seen.toString());
    assertTrue(
        seen.contains("modules.c.limits.data_files: must be from 1 to 10000000, found 0"),
        seen.toString());
    assertTrue(
        seen.contains("modules.d.limits.data_files: must be from 1 to 10000000, found 10000001"),
        seen.toString());
    assertTrue(
        seen.stream().anyMatch(s -> s.startsWith("modules.e.limits.data_mb: must be an integer")),
        seen.toString());
    assertTrue(
        seen.stream()
            .anyMatch(s -> s.startsWith("modules.f.limits.data_files: must be an integer")),
        seen.toString());
    assertTrue(
        seen.stream().anyMatch(s -> s.startsWith("modules.g.limits") && s.contains("data_gb")),
        seen.toString());
  }

  @Test
  void forModule_noDefaultsSection_allowsNothing() throws Exception {
    Policy p = Fixtures.policy(Fixtures.keyEntry("a", K1, ""));

    assertTrue(p.forModule("x").capabilities().isEmpty());
    assertEquals(LimitSettings.NONE, p.forModule("x").limits());
  }

  @Test
  void parse_longDottedHeaderOrKey_refusedQuickly() {
    // a 256 KiB header of 128,000 dotted levels, and a quoted key of 100,000 dots: finding their
    // lines for the messages cost the square of their length (minutes)
    StringBuilder deep = new StringBuilder("threshold = 1\n[defaults.limits");
    while (deep.length() < Policy.MAX_BYTES - 16) {
      deep.append(".a");
    }
    deep.append("]\n");
    String dots = "a.".repeat(100_000) + "a";
    for (String toml :
        List.of(deep.toString(), "[defaults]\nlimits = { \"" + dots + "\" = 1 }\n")) {
      org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(
          java.time.Duration.ofSeconds(10),
          () -> assertThrows(PolicyException.class, () -> Fixtures.policy(toml)));
    }
  }

  @Test
  void parse_nestingBeyondTheBound_refused() throws Exception {
    // the root is level 1, [modules.m] level 3, each further table one more
    String header = "[modules.m" + ".x".repeat(TomlDepth.MAX - 3) + "]";
    PolicyException e =
        assertThrows(PolicyException.class, () -> Fixtures.policy(header + "\nv = 1\n"));
    assertFalse(e.getMessage().contains("nested deeper"), e.getMessage()); // x is an unknown key
    PolicyException deeper =
        assertThrows(
            PolicyException.class,
            () -> Fixtures.policy("[modules.m" + ".x".repeat(TomlDepth.MAX - 2) + "]\nv = 1\n"));
    assertTrue(deeper.getMessage().contains("nested deeper"), deeper.getMessage());
  }
}
