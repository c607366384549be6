package org.blvm.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.blvm.loader.ModuleManager;
import org.blvm.protocol.Codec;
import org.blvm.protocol.Message;

/**
 * (a) NodeAPI round trip (get_chain_tip), module → node → module, measured inside a real module
 * process, next to a raw Unix-socket ping-pong of the same frame sizes measured by the same process
 * in the same run.
 */
final class RoundTripBench {
  private RoundTripBench() {}

  static List<Result> run(Harness h, int calls, int warmup) throws Exception {
    Codec codec = Codec.withDefaults();
    int requestBytes = codec.encode(new Message.Request(1, "get_chain_tip", null)).length;
    int responseBytes =
        codec.encode(Message.Response.ok(1, codec.toTree(h.chain.getChainTip()))).length;
    Path rawSocket = Files.createDirectories(h.work.resolve("raw")).resolve("raw.sock");
    RawPingPong.serve(rawSocket, responseBytes);

    Path modules = h.work.resolve("modules-rt");
    h.installJava(
        modules,
        "bench",
        RoundTripModule.class.getName(),
        List.of("read_blockchain", "publish_events"),
        Map.of(
            "calls", calls,
            "warmup", warmup,
            "request_bytes", requestBytes,
            "raw_socket", rawSocket.toString()));
    CompletableFuture<JsonNode> result = new CompletableFuture<>();
    try (ModuleManager m =
        h.manager(
                modules,
                "rt",
                (source, type, payload) -> {
                  if (type.equals("bench.result")) {
                    result.complete(payload);
                  }
                })
            .moduleHeapMb(128)
            .build()) {
      m.start();
      m.awaitAllStarted(Duration.ofSeconds(60));
      JsonNode r = result.get(10, TimeUnit.MINUTES);
      double api50 = r.get("api_p50_us").asDouble();
      double api99 = r.get("api_p99_us").asDouble();
      double raw50 = r.get("raw_p50_us").asDouble();
      double raw99 = r.get("raw_p99_us").asDouble();
      System.out.printf(
          "(a) get_chain_tip round trip, module -> node -> module (n=%d after %d warm-up calls;"
              + " raw frames of %d / %d bytes):%n",
          calls, warmup, requestBytes, responseBytes);
      System.out.printf("    blvm NodeAPI via SDK : p50 %8.1f us   p99 %8.1f us%n", api50, api99);
      System.out.printf("    raw Unix socket      : p50 %8.1f us   p99 %8.1f us%n", raw50, raw99);
      return List.of(
          new Result(
              "a",
              "get_chain_tip round trip p50",
              us(api50),
              "raw " + us(raw50),
              api50 / raw50,
              "<= 1.5x raw",
              api50 / raw50 <= 1.5),
          new Result(
              "a",
              "get_chain_tip round trip p99",
              us(api99),
              "raw " + us(raw99),
              api99 / raw99,
              "(no target)",
              null));
    }
  }

  static String us(double micros) {
    return String.format("%.1f us", micros);
  }
}
