package org.blvm.modules.governance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.blvm.testsupport.Poll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DelivererTest {
  @TempDir java.nio.file.Path tmp;

  private final List<String> seen = new CopyOnWriteArrayList<>();
  private final List<String> reports = new CopyOnWriteArrayList<>();
  private final AtomicInteger failFirst = new AtomicInteger();
  private HttpServer server;
  private Deliverer deliverer;

  @AfterEach
  void stop() throws Exception {
    if (deliverer != null) {
      deliverer.stop(2_000);
    }
    if (server != null) {
      server.stop(0);
    }
  }

  private int serve() throws Exception {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext(
        "/",
        x -> {
          String body = new String(x.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
          seen.add(x.getRequestHeaders().getFirst("Idempotency-Key") + " " + body);
          x.sendResponseHeaders(failFirst.getAndDecrement() > 0 ? 500 : 204, -1);
          x.close();
        });
    server.start();
    return server.getAddress().getPort();
  }

  private static WebhookTarget target(int port) throws Exception {
    return WebhookTarget.read(
        new ObjectMapper()
            .readTree(
                "{\"governance\":{\"webhook_url\":\"http://127.0.0.1:"
                    + port
                    + "/\",\"node_id\":\"n\",\"webhook_secret\":\"0123456789abcdef\"}}"));
  }

  private Deliverer start(
      Outbox box, AtomicReference<Optional<WebhookTarget>> t, Duration initial) {
    WebhookClient client =
        new WebhookClient((h, p) -> new Socket(h, p), Duration.ofSeconds(5), null);
    deliverer =
        new Deliverer(
            box,
            t::get,
            () -> client,
            new Backoff(initial, initial.multipliedBy(4), Clock.systemUTC(), () -> 0.0),
            new Deliverer.Reports() {
              @Override
              public void delivered(
                  Notification n, WebhookTarget target, int status, int attempts) {
                reports.add("delivered " + n.key() + " " + status + " " + attempts);
              }

              @Override
              public void failed(
                  Notification n, WebhookTarget target, String reason, int attempts, Duration in) {
                reports.add("failed " + n.key() + " " + attempts);
              }
            });
    deliverer.start();
    return deliverer;
  }

  @Test
  void run_receiverFailsTwice_retriedWithTheSameKeyAndBodyThenRemoved() throws Exception {
    failFirst.set(2);
    int port = serve();
    Outbox box = Outbox.open(tmp.resolve("outbox"), 10);
    box.add("gov-a", "status", "{\"n\":1}");
    box.add("gov-b", "status", "{\"n\":2}");
    start(box, new AtomicReference<>(Optional.of(target(port))), Duration.ofMillis(20));
    Poll.until(() -> reports.size() == 4, Duration.ofSeconds(20), "both delivered");
    assertEquals(0, box.size());
    assertEquals(
        List.of("gov-a {\"n\":1}", "gov-a {\"n\":1}", "gov-a {\"n\":1}", "gov-b {\"n\":2}"), seen);
    assertEquals(
        List.of(
            "failed gov-a 1", "failed gov-a 2", "delivered gov-a 204 3", "delivered gov-b 204 1"),
        reports);
  }

  @Test
  void run_targetChanged_nextAttemptAtOnceToTheNewTarget() throws Exception {
    int port = serve();
    HttpServer dead = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    int deadPort = dead.getAddress().getPort();
    dead.stop(0);
    Outbox box = Outbox.open(tmp.resolve("outbox"), 10);
    box.add("gov-c", "status", "{}");
    AtomicReference<Optional<WebhookTarget>> t =
        new AtomicReference<>(Optional.of(target(deadPort)));
    // a backoff of at least 30 s after the first failure: only the target change ends the wait
    Deliverer d = start(box, t, Duration.ofSeconds(60));
    Poll.until(() -> !reports.isEmpty(), Duration.ofSeconds(20), "the first attempt fails");
    t.set(Optional.of(target(port)));
    d.targetChanged();
    Poll.until(
        () -> reports.get(reports.size() - 1).startsWith("delivered"),
        Duration.ofSeconds(20),
        "delivered to the new target");
    assertEquals(0, box.size());
    assertEquals(List.of("gov-c {}"), seen);
    assertTrue(
        reports.get(reports.size() - 1).startsWith("delivered gov-c 204"), reports.toString());
  }

  @Test
  void run_noTargetThenOne_deliveredOnceSet() throws Exception {
    int port = serve();
    Outbox box = Outbox.open(tmp.resolve("outbox"), 10);
    box.add("gov-d", "status", "{}");
    AtomicReference<Optional<WebhookTarget>> t = new AtomicReference<>(Optional.empty());
    Deliverer d = start(box, t, Duration.ofMillis(20));
    t.set(Optional.of(target(port)));
    d.targetChanged();
    Poll.until(() -> box.size() == 0, Duration.ofSeconds(20), "delivered once a target is set");
    assertEquals(List.of("gov-d {}"), seen);
  }
}
