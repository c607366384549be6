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
 * checks every sequence number ({@link SequenceCheck}: none lost, repeated or out of order) and
 * reports {@code received}, {@code gaps} (lost plus reordered), {@code lost} and {@code reordered}
 * as metrics every {@code report_every} events, and at once on the first violation, which it also
 * prints to its error output (the node reads the metrics with {@code
 * ModuleManager.reportedMetrics}).
 */
public final class EventSinkModule {
  private static final SequenceCheck CHECK = new SequenceCheck();
  private static boolean announced;
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
    boolean first = !CHECK.seen(e.seq()) && !announced;
    if (first) {
      announced = true;
      System.err.println("event order broken: " + CHECK.firstViolation());
    }
    if (first || CHECK.received() % reportEvery == 0) {
      api.reportMetric("lost", CHECK.lost(), Map.of());
      api.reportMetric("reordered", CHECK.reordered(), Map.of());
      api.reportMetric("gaps", CHECK.violations(), Map.of());
      api.reportMetric("received", CHECK.received(), Map.of());
    }
  }
}
