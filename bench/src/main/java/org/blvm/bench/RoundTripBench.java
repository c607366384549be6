package org.blvm.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Comparator;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.blvm.demo.SimulatedChain;
import org.blvm.loader.ModuleManager;
import org.blvm.policy.Admission;
import org.blvm.policy.MinisignSecretKey;
import org.blvm.policy.ModuleSigner;
import org.blvm.policy.Policy;
import org.blvm.protocol.Codec;
import org.blvm.protocol.Message;

/**
 * NodeAPI round trip (get_chain_tip), module → node → module, measured inside a real module
 * process, next to a raw Unix-socket ping-pong of the same frame sizes measured by the same process
 * in the same run. Prints p50/p99 and the ratio.
 */
public final class RoundTripBench {
  private RoundTripBench() {}

  public static void main(String[] args) throws Exception {
    int calls = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
    int warmup = args.length > 1 ? Integer.parseInt(args[1]) : 5_000;
    Path jar =
        Path.of(RoundTripBench.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    Path work = Files.createTempDirectory("blvm-bench-");
    try {
      SimulatedChain chain = new SimulatedChain();
      chain.mineBlock(1);
      Codec codec = Codec.withDefaults();
      int requestBytes = codec.encode(new Message.Request(1, "get_chain_tip", null)).length;
      int responseBytes =
          codec.encode(Message.Response.ok(1, codec.toTree(chain.getChainTip()))).length;
      Path rawDir = Files.createDirectories(work.resolve("raw"));
      Path rawSocket = rawDir.resolve("raw.sock");
      RawPingPong.serve(rawSocket, responseBytes);

      Path module = Files.createDirectories(work.resolve("modules/bench"));
      Files.copy(jar, module.resolve("bench.jar"));
      Files.writeString(
          module.resolve("module.toml"),
          String.join(
              "\n",
              "name = \"bench\"",
              "version = \"1.0.0\"",
              "runtime = \"java\"",
              "entry = \"bench.jar\"",
              "main_class = \"org.blvm.bench.RoundTripModule\"",
              "capabilities = [\"read_blockchain\", \"publish_events\"]",
              "publishes = [\"bench.result\"]",
              "[config]",
              "calls = " + calls,
              "warmup = " + warmup,
              "request_bytes = " + requestBytes,
              "raw_socket = \"" + rawSocket + "\"",
              ""));
      MinisignSecretKey key = MinisignSecretKey.generate(new SecureRandom());
      ModuleSigner.sign(module, key, null, true);
      Admission admission =
          Admission.builder()
              .policy(Policy.trusting(java.util.List.of(key.publicKey()), 1))
              .stateDir(work.resolve("state"))
              .build();
      CompletableFuture<JsonNode> result = new CompletableFuture<>();
      try (ModuleManager modules =
          ModuleManager.builder()
              // unconfined, so the module can reach the raw baseline's socket in the same run
              .launcher(org.blvm.loader.ModuleLauncher.plainProcesses())
              .admission(admission)
              .modulesDir(work.resolve("modules"))
              .runtimeDir(work.resolve("run"))
              .backend(chain)
              .moduleHeapMb(128)
              .onModuleEvent(
                  (source, type, payload) -> {
                    if (type.equals("bench.result")) {
                      result.complete(payload);
                    }
                  })
              .build()) {
        modules.start();
        modules.awaitAllStarted(Duration.ofSeconds(60));
        JsonNode r = result.get(10, TimeUnit.MINUTES);
        double api50 = r.get("api_p50_us").asDouble();
        double raw50 = r.get("raw_p50_us").asDouble();
        System.out.printf(
            "get_chain_tip round trip, module -> node -> module (n=%d, warmup %d):%n",
            calls, warmup);
        System.out.printf(
            "  blvm NodeAPI via SDK : p50 %8.1f us   p99 %8.1f us%n",
            api50, r.get("api_p99_us").asDouble());
        System.out.printf(
            "  raw Unix socket      : p50 %8.1f us   p99 %8.1f us   (frames of %d / %d bytes)%n",
            raw50, r.get("raw_p99_us").asDouble(), requestBytes, responseBytes);
        System.out.printf(
            "  ratio p50 %.2fx   ratio p99 %.2fx%n",
            api50 / raw50, r.get("api_p99_us").asDouble() / r.get("raw_p99_us").asDouble());
      }
    } finally {
      try (Stream<Path> s = Files.walk(work)) {
        for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(p);
        }
      }
    }
  }
}
