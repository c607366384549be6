package org.blvm.node.host;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.errorprone.annotations.concurrent.GuardedBy;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.blvm.loader.ModuleManager;
import org.blvm.loader.ModuleState;
import org.blvm.loader.ModuleStatus;
import org.blvm.protocol.EventPayloads;
import org.blvm.protocol.EventType;

/**
 * What the demo watches: every NewBlock the node publishes, every {@code test.block_seen} a module
 * reports back (the example module fetches each block with get_block and reports it) and
 * blvm-lightning's {@code lightning.payment_*} reports. It prints both as they happen and sums up
 * at the end. Thread-safe: one monitor guards the maps; nothing is printed while it is held.
 */
final class DemoReports {
  private final List<String> modules;
  private final PrintWriter out;

  @GuardedBy("this")
  private final List<String> blocks = new ArrayList<>();

  @GuardedBy("this")
  private final Map<String, Set<String>> reported = new HashMap<>();

  /** blvm-lightning's reports: topic (lightning.payment_settled …) to request ids. */
  @GuardedBy("this")
  private final Map<String, Set<String>> payments = new HashMap<>();

  DemoReports(List<String> modules, PrintWriter out) {
    this.modules = List.copyOf(modules);
    this.out = out;
  }

  /** Sees every event the node publishes (on the publishing thread; it only records and prints). */
  void published(EventType type, Record payload) {
    if (type != EventType.NewBlock) {
      return;
    }
    EventPayloads.NewBlock b = (EventPayloads.NewBlock) payload;
    synchronized (this) {
      blocks.add(b.hash());
      notifyAll();
    }
    print(
        "node: block "
            + b.height()
            + " "
            + b.hash().substring(0, 16)
            + "… ("
            + b.txCount()
            + " txs), publishing NewBlock");
  }

  /** A module's event, as the loader hands it to the node. */
  void moduleEvent(String source, String type, JsonNode payload) {
    if (type.startsWith("lightning.payment_")) {
      payment(source, type, payload);
      return;
    }
    if (!"test.block_seen".equals(type)) {
      return;
    }
    synchronized (this) {
      reported.computeIfAbsent(source, k -> new HashSet<>()).add(payload.path("hash").asText());
      notifyAll();
    }
    print(
        "node: <- "
            + source
            + " reports block "
            + payload.path("height").asLong()
            + " (event seq "
            + payload.path("seq").asLong()
            + ", "
            + payload.path("tx_count").asInt()
            + " txs via get_block)");
  }

  private void payment(String source, String type, JsonNode p) {
    synchronized (this) {
      payments.computeIfAbsent(type, k -> new HashSet<>()).add(p.path("request_id").asText());
    }
    String what = type.substring("lightning.payment_".length());
    print(
        "node: <- "
            + source
            + " payment "
            + p.path("request_id").asText()
            + " "
            + what
            + " ("
            + p.path("amount_sats").asLong()
            + " sats"
            + (p.path("txid").isTextual()
                ? ", tx " + p.path("txid").asText().substring(0, 16) + "…"
                : "")
            + (what.equals("settled") ? ", " + p.path("confirmations").asLong() + " conf" : "")
            + (p.path("reason").isTextual() ? ", " + p.path("reason").asText() : "")
            + ")");
  }

  private void print(String line) {
    synchronized (out) {
      out.println(line);
      out.flush();
    }
  }

  /**
   * Waits until {@code n} blocks were published (or {@code stop} opened), then at most 15 s more
   * until every running module reported each of them. Returns false when stopped before.
   */
  boolean await(int n, CountDownLatch stop, ModuleManager manager) throws InterruptedException {
    while (true) {
      synchronized (this) {
        if (blocks.size() >= n) {
          break;
        }
        wait(100);
      }
      if (stop.await(0, TimeUnit.MILLISECONDS)) {
        return false;
      }
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    synchronized (this) {
      while (!allReported(n, manager)) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          break;
        }
        wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
      }
    }
    return true;
  }

  private synchronized boolean allReported(int n, ModuleManager manager) {
    List<String> first = blocks.subList(0, n);
    for (String m : modules) {
      ModuleState s = manager.status(m).map(ModuleStatus::state).orElse(null);
      if (s == ModuleState.STARTED && !reported.getOrDefault(m, Set.of()).containsAll(first)) {
        return false;
      }
    }
    return true;
  }

  /**
   * Prints what each module received of the first {@code n} blocks (all of them when {@code n} is
   * 0); true when every module saw every one.
   */
  boolean summarize(int n, ModuleManager manager) {
    List<String> lines = new ArrayList<>();
    boolean ok = true;
    synchronized (this) {
      List<String> counted = n == 0 ? blocks : blocks.subList(0, Math.min(n, blocks.size()));
      for (String m : modules) {
        Set<String> seen = reported.getOrDefault(m, Set.of());
        int got = 0;
        for (String h : counted) {
          got += seen.contains(h) ? 1 : 0;
        }
        String state = manager.status(m).map(s -> s.state().name()).orElse("UNLOADED");
        boolean all = got == counted.size();
        ok &= all || n == 0;
        lines.add(
            "  "
                + m
                + " ("
                + state
                + "): reported "
                + got
                + " of the "
                + counted.size()
                + " blocks the node published"
                + (all ? "" : " (MISSED " + (counted.size() - got) + ")"));
      }
    }
    String settlement;
    synchronized (this) {
      settlement =
          "payments settled "
              + payments.getOrDefault("lightning.payment_settled", Set.of()).size()
              + ", failed "
              + payments.getOrDefault("lightning.payment_failed", Set.of()).size()
              + ", seen pending "
              + payments.getOrDefault("lightning.payment_pending", Set.of()).size();
    }
    manager
        .status(DemoLayout.LIGHTNING)
        .ifPresent(
            s -> lines.add("  " + DemoLayout.LIGHTNING + " (" + s.state() + "): " + settlement));
    print("summary:");
    lines.forEach(this::print);
    return ok;
  }
}
