package org.blvm.policy;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Coverage-guided fuzz target (Jazzer) for the operator's policy file, {@link Policy#parse}.
 * Invariants: only {@link PolicyException} escapes, with at least one problem, each with a message
 * and a line within the file (0 when unknown); a parsed policy keeps its bounds (1..64 trusted keys
 * and threshold) and answers for every module, whose network rules and listen addresses stay within
 * their bounds.
 *
 * <p>Regression inputs: {@code src/test/resources/org/blvm/policy/PolicyFuzzTestInputs/parse/};
 * {@code fuzz/run} fuzzes it with libFuzzer's limit of 1 s per input.
 */
final class PolicyFuzzTest {
  private static final String SOURCE = "fuzz-policy.toml";

  @MethodSource("seeds")
  @FuzzTest
  void parse(byte[] input) {
    Policy p;
    try {
      p = Policy.parse(SOURCE, input);
    } catch (PolicyException e) {
      FuzzChecks.rejection(e, e.source(), SOURCE);
      assertFalse(e.problems().isEmpty(), "a PolicyException without problems");
      long lines = new String(input, UTF_8).split("\n", -1).length;
      for (PolicyException.Problem problem : e.problems()) {
        assertNotNull(problem.message());
        assertTrue(
            problem.line() >= 0 && problem.line() <= lines,
            "line " + problem.line() + " of " + lines);
      }
      return;
    }
    assertTrue(p.threshold() >= 1 && p.threshold() <= Policy.MAX_KEYS, "threshold");
    assertTrue(p.trustedKeys().size() <= Policy.MAX_KEYS, "keys");
    assertNotNull(p.forModule("not-listed"));
    for (String module : p.modules().keySet()) {
      ModulePolicy m = p.forModule(module);
      assertTrue(m.threshold() >= 1 && m.threshold() <= Policy.MAX_KEYS, "module threshold");
      NetworkPolicy n = m.network();
      assertTrue(n.connect().size() <= NetworkPolicy.MAX_CONNECT_RULES, "connect rules");
      assertTrue(n.listen().size() <= NetworkPolicy.MAX_LISTEN, "listen addresses");
      assertTrue(!n.host() || (n.connect().isEmpty() && n.listen().isEmpty()), "host and rules");
    }
  }

  static Stream<byte[]> seeds() {
    String keys = "";
    for (int i = 0; i < 2; i++) {
      keys +=
          Fixtures.keyEntry(
              "key-" + i,
              Fixtures.key(),
              i == 0 ? "not_after = 2027-01-01T00:00:00Z" : "not_before = 2026-12-01 00:00:00Z");
    }
    String policy =
        "threshold = 1\n"
            + "revoked = [\"B4282A5E0FB6DA29\"]\n"
            + keys
            + "[defaults]\n"
            + "capabilities = [\"read_blockchain\", \"subscribe_events\"]\n"
            + "on_disallowed_capability = \"reject\"\n"
            + "sandbox_profile = \"default\"\n"
            + "config_sections = [\"network\"]\n"
            + "config_secrets = [\"network.proxy_password\"]\n"
            + "callable_modules = []\n"
            + "event_overflow = \"drop_oldest\"\n"
            + "[defaults.limits]\nmemory_mb = 256\ncpu_seconds = 0\nopen_files = 256\n"
            + "processes = 64\ndisk_mb = 512\n"
            + "[defaults.rate_limit]\nrequests_per_second = 1000\nburst = 2000\n"
            + "[defaults.restart]\nmode = \"on_failure\"\nmax_restarts = 5\nwindow_seconds = 600\n"
            + "backoff_initial_ms = 1000\nbackoff_max_ms = 60000\n"
            + "[modules.lightning]\nthreshold = 2\ncallable_modules = [\"fee-watch\", \"*\"]\n"
            + "rate_limit = { requests_per_second = 5000 }\nevent_overflow = \"disconnect\"\n"
            + "limits = { memory_mb = 1024, processes = 128 }\n"
            + "[modules.fee-watch]\nrestart = { mode = \"always\" }\n"
            + "[modules.dev]\nallow_unsigned = true\n";
    String network =
        "threshold = 1\n"
            + "[defaults.network]\nmax_sockets = 8\nconnects_per_second = 2\n"
            + "[modules.miner]\nnetwork = \"host\"\n"
            + "[modules.ln.network]\n"
            + "connect = [\"hooks.example.org:443\", \"*.example.net:443\", \"203.0.113.7:8333\","
            + " \"[2001:db8::1]:443\"]\n"
            + "listen = [\"0.0.0.0:3333\", \"[::1]:9735\"]\n";
    return Stream.of(policy, network, "threshold = 1\n", "[modules.a]\nthreshold = 65\n")
        .map(s -> s.getBytes(UTF_8));
  }
}
