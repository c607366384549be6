package org.blvm.modules.governance;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * The thread {@code blvm-governance-delivery}: posts the outbox's notifications one at a time,
 * oldest first, and removes each once the receiver acknowledged it (2xx). A failed attempt is
 * retried after the {@link Backoff}'s delay; the notifications behind it wait (delivery stays in
 * order). The target and the client are read at every attempt, so a new {@code webhook_url} applies
 * at the next one. Without a valid target nothing is sent and the outbox keeps filling (up to its
 * bound).
 */
final class Deliverer {
  /** Hears how each attempt went; runs on the delivery thread. */
  interface Reports {
    void delivered(Notification n, WebhookTarget target, int status, int attempts);

    void failed(
        Notification n, WebhookTarget target, String reason, int attempts, Duration retryIn);
  }

  private final Outbox outbox;
  private final Supplier<Optional<WebhookTarget>> target;
  private final Supplier<WebhookClient> client;
  private final Backoff backoff;
  private final Reports reports;
  private final BlockingQueue<Boolean> wakeups = new ArrayBlockingQueue<>(1);
  private final Thread thread;
  private final AtomicReference<Tried> tried = new AtomicReference<>(new Tried(-1, 0));
  private volatile boolean retryNow;
  private volatile boolean stopping;

  Deliverer(
      Outbox outbox,
      Supplier<Optional<WebhookTarget>> target,
      Supplier<WebhookClient> client,
      Backoff backoff,
      Reports reports) {
    this.outbox = outbox;
    this.target = target;
    this.client = client;
    this.backoff = backoff;
    this.reports = reports;
    this.thread = new Thread(this::loop, "blvm-governance-delivery");
    this.thread.setDaemon(true);
  }

  /** The notification last attempted and how many attempts it got in this run. */
  private record Tried(long seq, int attempts) {}

  /** The attempts made on {@code n} in this run, the one under way included; 0 if none. */
  int attemptsOn(Notification n) {
    Tried t = tried.get();
    return t.seq() == n.seq() ? t.attempts() : 0;
  }

  void start() {
    thread.start();
  }

  /** Something was queued: look at the outbox now. */
  void wake() {
    wakeups.offer(Boolean.TRUE);
  }

  /** The target changed: try at once, without waiting out the backoff of the old one. */
  void targetChanged() {
    retryNow = true;
    wake();
  }

  /** Stops after the attempt in progress; waits at most {@code millis}. */
  void stop(long millis) throws InterruptedException {
    stopping = true;
    thread.interrupt();
    thread.join(millis);
  }

  private void loop() {
    try {
      while (!stopping) {
        if (retryNow) {
          retryNow = false;
          backoff.succeeded();
        }
        Optional<Notification> head = outbox.head();
        Optional<WebhookTarget> t = target.get();
        Duration wait = backoff.remaining();
        if (head.isEmpty() || t.isEmpty() || !wait.isZero()) {
          long ms = head.isEmpty() || t.isEmpty() ? 1000 : Math.min(1000, wait.toMillis() + 1);
          wakeups.poll(ms, TimeUnit.MILLISECONDS);
          continue;
        }
        attempt(head.get(), t.get());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void attempt(Notification n, WebhookTarget t) {
    int attempts =
        tried
            .updateAndGet(p -> new Tried(n.seq(), p.seq() == n.seq() ? p.attempts() + 1 : 1))
            .attempts();
    try {
      int status = client.get().post(t, n);
      outbox.remove(n);
      backoff.succeeded();
      reports.delivered(n, t, status, attempts);
    } catch (WebhookClient.DeliveryException e) {
      reports.failed(n, t, e.getMessage(), attempts, backoff.failed());
    } catch (java.io.IOException e) {
      reports.failed(n, t, "outbox: " + e, attempts, backoff.failed());
    }
  }
}
