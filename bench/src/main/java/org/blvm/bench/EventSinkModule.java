package org.blvm.bench;

import java.util.Map;
import org.blvm.protocol.EventPayloads;
import org.blvm.protocol.EventType;
import org.blvm.protocol.Message;
import org.blvm.sdk.ModuleClient;
import org.blvm.sdk.NodeApi;
import org.blvm.sdk.NodeApiException;

/**
 * The module side of the event benchmarks: subscribes to NewBlock and MempoolTransactionAdded,
 * checks that the sequence numbers run 1, 2, 3 … with no gap, and reports {@code received} and
 * {@code gaps} as metrics every {@code report_every} events (the node reads them with {@code
 * ModuleManager.metrics}).
 */
public final class EventSinkModule {
  private static long received;
  private static long lastSeq;
  private static long gaps;
  private static int reportEvery;
  private static NodeApi api;

  private EventSinkModule() {}

  public static void main(String[] args) throws Exception {
    try (ModuleClient client =
        ModuleClient.builder(args)
            .eventQueueCapacity(1 << 20)
            .onEvent(EventType.NewBlock, EventPayloads.NewBlock.class, (e, p) -> seen(e))
            .onEvent(
                EventType.MempoolTransactionAdded,
                EventPayloads.MempoolTransactionAdded.class,
                (e, p) -> seen(e))
            .connect()) {
      reportEvery = client.context().config().get("report_every").asInt();
      api = client.api();
      client.awaitShutdown();
    }
  }

  /** Runs on the SDK's event thread, in arrival order. */
  private static void seen(Message.Event e) throws NodeApiException {
    if (e.seq() != lastSeq + 1) {
      gaps++;
    }
    lastSeq = e.seq();
    received++;
    if (received % reportEvery == 0) {
      api.reportMetric("gaps", gaps, Map.of());
      api.reportMetric("received", received, Map.of());
    }
  }
}
