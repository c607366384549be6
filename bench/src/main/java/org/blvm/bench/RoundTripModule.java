package org.blvm.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import org.blvm.sdk.ModuleClient;
import org.blvm.sdk.NodeApi;

/**
 * The module side of the round-trip benchmark: times get_chain_tip through the SDK, then the raw
 * ping-pong, in the same process, and publishes both as a {@code bench.result} event.
 */
public final class RoundTripModule {
  private RoundTripModule() {}

  public static void main(String[] args) throws Exception {
    try (ModuleClient client = ModuleClient.builder(args).connect()) {
      JsonNode cfg = client.context().config();
      int n = cfg.get("calls").asInt();
      int warmup = cfg.get("warmup").asInt();
      NodeApi api = client.api();
      try (RawPingPong.Client rawClient =
          new RawPingPong.Client(
              Path.of(cfg.get("raw_socket").asText()), cfg.get("request_bytes").asInt())) {
        for (int i = 0; i < warmup; i++) {
          api.getChainTip();
        }
        rawClient.round(null, 0, warmup);
        // interleaved rounds: both are measured under the same machine conditions
        long[] api1 = new long[n];
        long[] raw = new long[n];
        int per = n / ROUNDS;
        for (int r = 0; r < ROUNDS; r++) {
          int from = r * per;
          int count = r == ROUNDS - 1 ? n - from : per;
          for (int i = from; i < from + count; i++) {
            long t0 = System.nanoTime();
            api.getChainTip();
            api1[i] = System.nanoTime() - t0;
          }
          rawClient.round(raw, from, count);
        }
        report(api, api1, raw);
      }
      client.awaitShutdown();
    }
  }

  private static final int ROUNDS = 10;

  private static void report(NodeApi api, long[] api1, long[] raw) throws Exception {
    ObjectNode result = JsonNodeFactory.instance.objectNode();
    Stats a = new Stats(api1);
    Stats r = new Stats(raw);
    result.put("api_p50_us", a.percentileMicros(50));
    result.put("api_p99_us", a.percentileMicros(99));
    result.put("raw_p50_us", r.percentileMicros(50));
    result.put("raw_p99_us", r.percentileMicros(99));
    api.publishEvent("bench.result", result);
  }
}
