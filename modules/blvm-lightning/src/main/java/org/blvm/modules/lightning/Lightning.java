package org.blvm.modules.lightning;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import org.blvm.protocol.EventPayloads;
import org.blvm.protocol.EventType;
import org.blvm.protocol.Message;
import org.blvm.sdk.ModuleClient;
import org.blvm.sdk.ModuleConnectException;

/**
 * blvm-lightning: watches every payment request the node creates ({@code PaymentRequestCreated})
 * until it is paid and confirmed, or fails, and publishes each change of state as {@code
 * lightning.payment_pending}, {@code lightning.payment_settled} or {@code lightning.payment_failed}
 * (docs/modules.md). Its state is {@code lightning-state.json} in its data directory, so a restart
 * loses no payment and repeats no report.
 *
 * <p>Exit status: 0 after a stop, 2 when connecting fails, 4 for an invalid config at start.
 */
public final class Lightning {
  static final String STATE_FILE = "lightning-state.json";
  static final int EXIT_CONNECT_FAILED = 2;
  static final int EXIT_BAD_CONFIG = 4;

  private final CompletableFuture<ModuleClient> client = new CompletableFuture<>();
  private volatile LightningConfig config;
  private final SettlementProvider provider =
      new OnchainProvider(() -> config.confirmations(), () -> config.finalDepth());
  private Ledger ledger;
  private WatcherThread watcher;

  Lightning() {}

  public static void main(String[] args) throws InterruptedException {
    System.exit(new Lightning().run(args));
  }

  /**
   * Connects to the node named by {@code args}, watches until the node stops it; the exit status.
   */
  int run(String[] args) throws InterruptedException {
    watcher = new WatcherThread(this::catchUp, () -> ledger.flush(), this::failed);
    // The ledger needs the data directory, known once connected; the handlers hand their work to
    // the watcher thread, which begins (with a catch-up) once the ledger exists.
    ModuleClient.Builder builder =
        ModuleClient.builder(args)
            .onEvent(
                EventType.PaymentRequestCreated,
                EventPayloads.PaymentRequestCreated.class,
                (e, r) -> watcher.submit("request " + r.requestId(), () -> onRequest(r)))
            .onEvent(
                EventType.EventsDropped,
                EventPayloads.EventsDropped.class,
                (e, d) -> watcher.resync())
            .onConfig((own, visible, changed) -> onConfig(own, visible));
    provider.register(builder, watcher);
    ModuleClient c;
    try {
      c = builder.connect();
    } catch (ModuleConnectException e) {
      System.err.println("blvm-lightning: cannot connect (" + e.reason() + "): " + e.getMessage());
      return EXIT_CONNECT_FAILED;
    }
    try {
      config = LightningConfig.read(c.config());
    } catch (LightningConfig.InvalidConfigException e) {
      c.log(Message.LogLevel.ERROR, "invalid config: " + e.getMessage());
      c.close();
      return EXIT_BAD_CONFIG;
    }
    ledger =
        Ledger.open(
            new StateFile(Path.of(c.context().dataDir()).resolve(STATE_FILE)), this::report);
    ledger.problem().ifPresent(p -> c.log(Message.LogLevel.ERROR, p));
    provider.start(ledger, c.api());
    client.complete(c);
    c.log(
        Message.LogLevel.INFO,
        "watching with provider "
            + config.provider()
            + ", "
            + config.confirmations()
            + " confirmations; "
            + ledger.size()
            + " payments from the state file");
    watcher.begin();
    c.awaitShutdown();
    watcher.stop(2_000);
    return 0;
  }

  private void catchUp() throws Exception {
    provider.resync();
  }

  private void onRequest(EventPayloads.PaymentRequestCreated r) throws Exception {
    ModuleClient c = client.join();
    if (r.address() == null) {
      c.log(Message.LogLevel.WARN, "request " + r.requestId() + " has no address: not watched");
      return;
    }
    if (ledger.size() >= config.maxPayments()) {
      c.log(
          Message.LogLevel.WARN,
          "request "
              + r.requestId()
              + " not watched: already watching max_payments = "
              + config.maxPayments());
      return;
    }
    Payment p = Payment.waiting(r.requestId(), r.address(), r.amountSats(), r.expiresAt());
    if (ledger.add(p)) {
      c.log(
          Message.LogLevel.INFO,
          "payment " + p.requestId() + " watching " + p.address() + " for " + p.amountSats());
      provider.watch(p);
    }
  }

  /**
   * A new own config: applied from the next evaluation on; an invalid one, or a {@code
   * ConfigLoaded} without this module's table ({@code modules.<id>}), is refused.
   */
  private void onConfig(JsonNode own, JsonNode visible) {
    ModuleClient c = client.join();
    String id = c.context().moduleId();
    if (!visible.path("modules").path(id).isObject()) {
      c.log(
          Message.LogLevel.ERROR,
          "config refused, keeping the last good one: no table modules." + id);
      return;
    }
    try {
      LightningConfig next = LightningConfig.read(own);
      if (!next.equals(config)) {
        config = next;
        c.log(
            Message.LogLevel.INFO,
            "config applied: provider "
                + next.provider()
                + ", "
                + next.confirmations()
                + " confirmations, final_depth "
                + next.finalDepth()
                + ", max_payments "
                + next.maxPayments());
      }
    } catch (LightningConfig.InvalidConfigException e) {
      c.log(Message.LogLevel.ERROR, "config refused, keeping the last good one: " + e.getMessage());
    }
  }

  /** Publishes one state change and logs it (the line the operator and the tests read). */
  private void report(Payment p) throws Exception {
    ModuleClient c = client.join();
    String state = p.state().name().toLowerCase(Locale.ROOT);
    c.api().publishEvent("lightning.payment_" + state, p.toJson());
    c.log(
        Message.LogLevel.INFO,
        "payment "
            + p.requestId()
            + " "
            + state
            + " transition="
            + p.transitions()
            + " txid="
            + p.txid()
            + " block="
            + p.blockHash()
            + " height="
            + p.height()
            + " confirmations="
            + p.confirmations()
            + " reason="
            + p.reason());
  }

  private void failed(String what, Exception e) {
    ModuleClient c = client.getNow(null);
    if (c != null) {
      c.log(Message.LogLevel.WARN, what + " failed (will catch up): " + e);
    }
  }
}
