package org.blvm.modules.governance;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLSocketFactory;
import org.blvm.protocol.Api;
import org.blvm.protocol.EventPayloads;
import org.blvm.protocol.EventType;
import org.blvm.protocol.Message;
import org.blvm.sdk.ModuleClient;
import org.blvm.sdk.ModuleConnectException;
import org.blvm.sdk.NodeApiException;

/**
 * blvm-governance: posts every governance event the node publishes ({@code EconomicNodeRegistered},
 * {@code EconomicNodeVeto}, {@code GovernanceProposalCreated}) and a status (chain tip, network
 * stats) every {@code status_every_blocks} blocks to the node config's {@code
 * governance.webhook_url}, signed with {@code governance.webhook_secret}, through a connection the
 * node brokers (docs/modules.md). Each notification is stored in the outbox ({@code outbox/} in the
 * data directory) before the event handler returns and stays there until the receiver acknowledged
 * it; each outcome is published as {@code governance.webhook_delivered} or {@code
 * governance.webhook_failed}.
 *
 * <p>Exit status: 0 after a stop, 2 when connecting fails, 4 for an invalid config at start, 5 when
 * the outbox cannot be opened.
 */
public final class Governance {
  static final String OUTBOX_DIR = "outbox";
  static final String DELIVERED = "governance.webhook_delivered";
  static final String FAILED = "governance.webhook_failed";
  static final int EXIT_CONNECT_FAILED = 2;
  static final int EXIT_BAD_CONFIG = 4;
  static final int EXIT_OUTBOX = 5;

  private static final ObjectMapper JSON = new ObjectMapper();

  /** NodeAPI values in bodies: snake_case keys, like every payload on the wire. */
  private static final ObjectMapper SNAKE =
      new ObjectMapper().setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE);

  private final CompletableFuture<ModuleClient> client = new CompletableFuture<>();
  private final CompletableFuture<Outbox> outbox = new CompletableFuture<>();
  private final AtomicReference<Optional<WebhookTarget>> target =
      new AtomicReference<>(Optional.empty());
  private final AtomicReference<Tls> tls = new AtomicReference<>(new Tls("", null));
  private final SecureRandom random = new SecureRandom();
  private final Clock clock;
  private volatile GovernanceConfig config;

  /** The config read at start: its {@code max_outbox} and backoff stay in force until a restart. */
  private volatile GovernanceConfig started;

  private Deliverer deliverer;

  /** The TLS factory for one {@code ca_pem}, built once. */
  private record Tls(String caPem, SSLSocketFactory factory) {}

  /** {@code clock}: {@code created_at} and the backoff's delays. */
  Governance(Clock clock) {
    this.clock = clock;
  }

  public static void main(String[] args) throws InterruptedException {
    System.exit(new Governance(Clock.systemUTC()).run(args));
  }

  int run(String[] args) throws InterruptedException {
    ModuleClient.Builder builder =
        ModuleClient.builder(args)
            .onEvent(
                EventType.EconomicNodeRegistered,
                EventPayloads.EconomicNodeRegistered.class,
                (e, p) -> queue(e))
            .onEvent(
                EventType.EconomicNodeVeto,
                EventPayloads.EconomicNodeVeto.class,
                (e, p) -> queue(e))
            .onEvent(
                EventType.GovernanceProposalCreated,
                EventPayloads.GovernanceProposalCreated.class,
                (e, p) -> queue(e))
            .onEvent(EventType.NewBlock, EventPayloads.NewBlock.class, (e, b) -> onBlock(b))
            .onEvent(
                EventType.EventsDropped,
                EventPayloads.EventsDropped.class,
                (e, d) ->
                    client
                        .join()
                        .log(
                            Message.LogLevel.WARN,
                            Long.toString(d.count())
                                + " events dropped by the node (this module was too slow);"
                                + " governance events among them are not delivered"))
            .onConfig((own, visible, changed) -> onConfig(own, visible));
    ModuleClient c;
    try {
      c = builder.connect();
    } catch (ModuleConnectException e) {
      System.err.println("blvm-governance: cannot connect (" + e.reason() + "): " + e.getMessage());
      return EXIT_CONNECT_FAILED;
    }
    try {
      config = GovernanceConfig.read(c.config());
      started = config;
    } catch (GovernanceConfig.InvalidConfigException e) {
      c.log(Message.LogLevel.ERROR, "invalid config: " + e.getMessage());
      c.close();
      return EXIT_BAD_CONFIG;
    }
    Outbox box;
    try {
      box = Outbox.open(Path.of(c.context().dataDir()).resolve(OUTBOX_DIR), config.maxOutbox());
    } catch (java.io.IOException e) {
      c.log(Message.LogLevel.ERROR, "cannot open the outbox: " + e);
      c.close();
      return EXIT_OUTBOX;
    }
    box.problems().forEach(p -> c.log(Message.LogLevel.ERROR, p));
    deliverer =
        new Deliverer(
            box,
            target::get,
            this::webhookClient,
            new Backoff(config.backoffInitial(), config.backoffMax(), clock, random::nextDouble),
            new Reporter(c));
    client.complete(c);
    outbox.complete(box);
    c.log(
        Message.LogLevel.INFO,
        "running: status every "
            + config.statusEveryBlocks()
            + " blocks; "
            + box.size()
            + " notifications in the outbox");
    deliverer.start();
    c.awaitShutdown();
    deliverer.stop(2_000);
    return 0;
  }

  private WebhookClient webhookClient() {
    GovernanceConfig cfg = config;
    Tls t = tls.get();
    if (t.factory() == null || !t.caPem().equals(cfg.caPem())) {
      try {
        t = new Tls(cfg.caPem(), WebhookClient.tls(cfg.caPem()));
        tls.set(t);
      } catch (java.security.GeneralSecurityException | java.io.IOException e) {
        // fail closed: https deliveries fail (naming ca_pem) until a usable one is configured
        client.join().log(Message.LogLevel.ERROR, "ca_pem unusable: " + e);
        return new WebhookClient(
            (host, port) -> client.join().api().connect(host, port), cfg.timeout(), null);
      }
    }
    ModuleClient c = client.join();
    return new WebhookClient(
        (host, port) -> c.api().connect(host, port), cfg.timeout(), t.factory());
  }

  /** Stores a governance event as a notification; on return it survives a kill. */
  private void queue(Message.Event e) throws Exception {
    ObjectNode body = envelope(e.type());
    body.set("event", e.payload());
    store(e.type(), body);
  }

  private void onBlock(EventPayloads.NewBlock b) throws Exception {
    ModuleClient c = client.join(); // set after the config is read
    int every = config.statusEveryBlocks();
    if (every == 0 || b.height() % every != 0) {
      return;
    }
    Api.ChainTip tip;
    Api.NetworkStats net;
    try {
      tip = c.api().getChainTip();
      net = c.api().getNetworkStats();
    } catch (NodeApiException e) {
      c.log(
          Message.LogLevel.WARN,
          "status at height "
              + b.height()
              + " not queued: "
              + e.code()
              + " "
              + e.error().message());
      return;
    }
    ObjectNode body = envelope("status");
    body.set("tip", SNAKE.valueToTree(tip));
    body.set("network", SNAKE.valueToTree(net));
    store("status", body);
  }

  private ObjectNode envelope(String type) {
    ObjectNode body = JSON.createObjectNode();
    byte[] k = new byte[16];
    random.nextBytes(k);
    body.put("idempotency_key", "gov-" + HexFormat.of().formatHex(k));
    body.put("type", type);
    body.put("node_id", target.get().map(WebhookTarget::nodeId).orElse(null));
    body.put("created_at", clock.millis());
    return body;
  }

  private void store(String type, ObjectNode body) throws Exception {
    ModuleClient c = client.join();
    Outbox box = outbox.join();
    String key = body.get("idempotency_key").asText();
    Optional<Notification> dropped;
    try {
      dropped = box.add(key, type, JSON.writeValueAsString(body));
    } catch (Outbox.TooLargeException e) {
      c.log(Message.LogLevel.ERROR, "not queued: " + e.getMessage());
      return;
    }
    c.log(Message.LogLevel.INFO, "queued " + key + " " + type);
    if (dropped.isPresent()) {
      Notification d = dropped.get();
      c.log(Message.LogLevel.WARN, "outbox full (max_outbox): dropped " + d.key() + " " + d.type());
      publish(
          c,
          FAILED,
          report(d, target.get().orElse(null), deliverer.attemptsOn(d))
              .put("reason", "outbox full: dropped")
              .put("final", true)
              .putNull("retry_in_ms"));
    }
    deliverer.wake();
  }

  /**
   * A new config: the own settings apply from the next attempt on (none without this module's table
   * {@code modules.<id>}), a new target at once.
   */
  private void onConfig(JsonNode own, JsonNode visible) {
    ModuleClient c = client.join();
    String id = c.context().moduleId();
    try {
      if (!visible.path("modules").path(id).isObject()) {
        throw new GovernanceConfig.InvalidConfigException("no table modules." + id);
      }
      GovernanceConfig next = GovernanceConfig.read(own);
      if (!next.equals(config)) {
        config = next;
        c.log(
            Message.LogLevel.INFO,
            "config applied: status every " + next.statusEveryBlocks() + " blocks");
        atNextStart(c, next);
      }
    } catch (GovernanceConfig.InvalidConfigException e) {
      c.log(Message.LogLevel.ERROR, "config refused, keeping the last good one: " + e.getMessage());
    }
    try {
      WebhookTarget next = WebhookTarget.read(visible);
      Optional<WebhookTarget> before = target.getAndSet(Optional.of(next));
      if (!before.equals(Optional.of(next))) {
        c.log(Message.LogLevel.INFO, "webhook target " + shown(next) + " node_id " + next.nodeId());
        deliverer.targetChanged();
      }
    } catch (WebhookTarget.InvalidTargetException e) {
      target.set(Optional.empty());
      c.log(Message.LogLevel.ERROR, "not delivering: " + e.getMessage());
    }
  }

  /**
   * Warns when a reload changes what applies only at the next start (the outbox's bound, backoff).
   */
  private void atNextStart(ModuleClient c, GovernanceConfig next) {
    GovernanceConfig now = started;
    if (now == null
        || (next.maxOutbox() == now.maxOutbox()
            && next.backoffInitial().equals(now.backoffInitial())
            && next.backoffMax().equals(now.backoffMax()))) {
      return;
    }
    c.log(
        Message.LogLevel.WARN,
        "max_outbox "
            + next.maxOutbox()
            + " and backoff "
            + next.backoffInitial().toMillis()
            + ".."
            + next.backoffMax().toMillis()
            + " ms apply at the next start of the module; in use until then: max_outbox "
            + now.maxOutbox()
            + ", backoff "
            + now.backoffInitial().toMillis()
            + ".."
            + now.backoffMax().toMillis()
            + " ms");
  }

  /** The URL without its query (which might carry a token), for logs and events. */
  static String shown(WebhookTarget t) {
    return t.url().getScheme() + "://" + t.host() + ":" + t.port() + t.url().getRawPath();
  }

  private static ObjectNode report(Notification n, WebhookTarget t, int attempts) {
    ObjectNode r = JSON.createObjectNode();
    r.put("idempotency_key", n.key());
    r.put("type", n.type());
    r.put("url", t == null ? null : shown(t));
    r.put("attempts", attempts);
    return r;
  }

  private static void publish(ModuleClient c, String topic, ObjectNode payload) {
    try {
      c.api().publishEvent(topic, payload);
    } catch (NodeApiException e) {
      c.log(
          Message.LogLevel.WARN, topic + " not published: " + e.code() + " " + e.error().message());
    }
  }

  /** Publishes and logs each attempt's outcome (the lines the operator and the tests read). */
  private record Reporter(ModuleClient c) implements Deliverer.Reports {
    @Override
    public void delivered(Notification n, WebhookTarget t, int status, int attempts) {
      publish(c, DELIVERED, report(n, t, attempts).put("status", status));
      c.log(
          Message.LogLevel.INFO,
          "delivered "
              + n.key()
              + " "
              + n.type()
              + " to "
              + shown(t)
              + " status="
              + status
              + " attempts="
              + attempts);
    }

    @Override
    public void failed(
        Notification n, WebhookTarget t, String reason, int attempts, Duration retryIn) {
      publish(
          c,
          FAILED,
          report(n, t, attempts)
              .put("reason", reason)
              .put("final", false)
              .put("retry_in_ms", retryIn.toMillis()));
      c.log(
          Message.LogLevel.WARN,
          "attempt "
              + attempts
              + " of "
              + n.key()
              + " to "
              + shown(t)
              + " failed: "
              + reason
              + "; retry in "
              + retryIn.toMillis()
              + " ms");
    }
  }
}
