package org.blvm.node.host;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.errorprone.annotations.concurrent.GuardedBy;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Function;
import org.blvm.protocol.EventPayloads;
import org.blvm.protocol.EventType;
import org.blvm.protocol.Message;

/**
 * What the demo shows: the chain tip and, per module, its last event and its figures (webhooks
 * received and their signatures, jobs, shares and blocks found, routes and packets, payments). Fed
 * by the node's events, the modules' events and logs, the webhook receiver and the miner; rendered
 * as lines by {@link #render}. Each change is also handed to {@code line} as one plain line.
 * Thread-safe: one monitor guards the figures; {@code line} is called without it.
 */
final class DemoBoard {
  private final Consumer<String> line;

  @GuardedBy("this")
  private long tipHeight = -1;

  @GuardedBy("this")
  private String tipHash = "";

  @GuardedBy("this")
  private int blocks;

  @GuardedBy("this")
  private final Map<String, String> last = new HashMap<>();

  @GuardedBy("this")
  private final Map<String, Long> counts = new HashMap<>();

  @GuardedBy("this")
  private final List<String> warnings = new ArrayList<>();

  /**
   * The latest state of each payment request heard of (by {@code request_id}), the least recently
   * changed first; beyond {@link #MAX_PAYMENTS} that one is forgotten and stays counted in its last
   * state.
   */
  @GuardedBy("this")
  private final LinkedHashMap<String, Count> payments = new LinkedHashMap<>();

  /** Payment requests whose state the board follows. */
  static final int MAX_PAYMENTS = 10_000;

  DemoBoard(Consumer<String> line) {
    this.line = line;
  }

  /** The figures the demo counts. */
  enum Count {
    WEBHOOK_VALID,
    WEBHOOK_INVALID,
    WEBHOOK_FAILED,
    JOBS,
    SHARES_ACCEPTED,
    SHARES_REJECTED,
    BLOCKS_FOUND,
    ROUTE_CHANGES,
    PACKETS_ROUTED,
    PACKETS_DELIVERED,
    ROUTE_ERRORS,
    /** Payments whose latest state is pending (not reports of it: a payment counts once). */
    PAYMENTS_PENDING,
    /** Payments whose latest state is settled. */
    PAYMENTS_SETTLED,
    /** Payments whose latest state is failed. */
    PAYMENTS_FAILED
  }

  synchronized long count(Count c) {
    return counts.getOrDefault(c.name(), 0L);
  }

  synchronized int blocks() {
    return blocks;
  }

  /** Counts one {@code c} and records {@code what} as {@code module}'s last event. */
  void note(String module, Count c, String what) {
    synchronized (this) {
      if (c != null) {
        counts.merge(c.name(), 1L, Long::sum);
      }
      last.put(module, what);
    }
    line.accept(module + ": " + what);
  }

  /** Every event the node publishes (on the publishing thread; it only records). */
  void published(EventType type, Record payload) {
    if (type != EventType.NewBlock) {
      return;
    }
    EventPayloads.NewBlock b = (EventPayloads.NewBlock) payload;
    synchronized (this) {
      blocks++;
      tipHeight = b.height();
      tipHash = b.hash();
    }
    line.accept(
        "node: block "
            + b.height()
            + " "
            + b.hash().substring(0, 16)
            + "… ("
            + b.txCount()
            + " txs)");
  }

  /** A module's published event. */
  void moduleEvent(String source, String type, JsonNode p) {
    switch (type) {
      case "governance.webhook_delivered" ->
          note(
              source,
              null,
              "delivered "
                  + p.path("type").asText()
                  + " ("
                  + p.path("attempts").asLong()
                  + " attempts)");
      case "governance.webhook_failed" ->
          note(source, Count.WEBHOOK_FAILED, "delivery failed: " + p.path("reason").asText());
      case "stratum.mining_job_created" ->
          note(
              source,
              Count.JOBS,
              "job " + p.path("job_id").asLong() + " at height " + p.path("height").asLong());
      case "stratum.block_found" ->
          note(
              source,
              Count.BLOCKS_FOUND,
              "block found at height "
                  + p.path("height").asLong()
                  + " "
                  + abbreviate(p.path("hash").asText()));
      case "mesh.route_changed" ->
          note(
              source,
              Count.ROUTE_CHANGES,
              "route to "
                  + p.path("destination").asText()
                  + " "
                  + p.path("state").asText()
                  + " ("
                  + p.path("hops").asLong()
                  + " hops)");
      case "lightning.payment_pending", "lightning.payment_settled", "lightning.payment_failed" ->
          payment(source, type, p);
      default -> {}
    }
  }

  private void payment(String source, String type, JsonNode p) {
    String what = type.substring("lightning.payment_".length());
    Count c =
        switch (what) {
          case "settled" -> Count.PAYMENTS_SETTLED;
          case "failed" -> Count.PAYMENTS_FAILED;
          default -> Count.PAYMENTS_PENDING;
        };
    String id = p.path("request_id").asText();
    synchronized (this) {
      Count before = payments.remove(id);
      if (before != null) {
        counts.merge(before.name(), -1L, Long::sum);
      }
      payments.put(id, c);
      counts.merge(c.name(), 1L, Long::sum);
      if (payments.size() > MAX_PAYMENTS) {
        payments.remove(payments.keySet().iterator().next());
      }
    }
    note(
        source,
        null,
        "payment "
            + p.path("request_id").asText()
            + " "
            + what
            + " ("
            + p.path("amount_sats").asLong()
            + " sats, "
            + p.path("confirmations").asLong()
            + " conf"
            + (p.path("reason").isTextual() ? ", " + p.path("reason").asText() : "")
            + ")");
  }

  /** A module's log line: mesh-probe's route_packet answers and the packets it receives. */
  void moduleLog(String module, Message.LogLevel level, String message) {
    if (DemoLayout.PROBE.equals(module)) {
      if (message.startsWith("call 0 ok ")) {
        note(DemoLayout.MESH_A, Count.PACKETS_ROUTED, "routed a packet to node-b");
        return;
      }
      if (message.startsWith("call 0 error ")) {
        note(DemoLayout.MESH_A, Count.ROUTE_ERRORS, "route_packet: " + message.substring(13));
        return;
      }
      if (message.startsWith("echo from " + DemoLayout.MESH_B + " ")) {
        note(DemoLayout.MESH_B, Count.PACKETS_DELIVERED, "delivered a packet from node-a");
        return;
      }
    }
    if (level == Message.LogLevel.WARN || level == Message.LogLevel.ERROR) {
      String w = module + " " + level.wireName() + ": " + message;
      synchronized (this) {
        warnings.add(w);
        if (warnings.size() > 3) {
          warnings.remove(0);
        }
      }
      line.accept(w);
    }
  }

  /** Null when each module showed its work; else what the first one that did not lacks. */
  synchronized String missing() {
    if (count(Count.WEBHOOK_VALID) == 0) {
      return DemoLayout.GOVERNANCE + ": no webhook with a valid signature received";
    }
    if (count(Count.SHARES_ACCEPTED) == 0) {
      return DemoLayout.STRATUM + ": no share accepted";
    }
    if (count(Count.PACKETS_DELIVERED) == 0) {
      return "blvm-mesh: no packet delivered from mesh-a to mesh-b";
    }
    if (count(Count.PAYMENTS_SETTLED) == 0) {
      return DemoLayout.LIGHTNING + ": no payment settled";
    }
    return null;
  }

  /** The screen: the tip, then per module its state (from {@code state}), figures, last event. */
  synchronized List<String> render(Function<String, String> state) {
    List<String> out = new ArrayList<>();
    out.add(
        "chain tip   height "
            + tipHeight
            + " "
            + abbreviate(tipHash)
            + "  ("
            + blocks
            + " blocks published by the node)");
    out.add("");
    row(
        out,
        state,
        DemoLayout.GOVERNANCE,
        "webhooks received "
            + count(Count.WEBHOOK_VALID)
            + " signed ok, "
            + count(Count.WEBHOOK_INVALID)
            + " bad signature; attempts failed "
            + count(Count.WEBHOOK_FAILED));
    row(
        out,
        state,
        DemoLayout.STRATUM,
        "jobs "
            + count(Count.JOBS)
            + ", shares accepted "
            + count(Count.SHARES_ACCEPTED)
            + ", rejected "
            + count(Count.SHARES_REJECTED)
            + ", blocks found "
            + count(Count.BLOCKS_FOUND));
    out.add("  " + pad("", 25) + "miner: " + last.getOrDefault("miner", "-"));
    row(
        out,
        state,
        DemoLayout.MESH_A,
        "route changes "
            + count(Count.ROUTE_CHANGES)
            + ", packets routed "
            + count(Count.PACKETS_ROUTED)
            + ", refused "
            + count(Count.ROUTE_ERRORS));
    row(
        out,
        state,
        DemoLayout.MESH_B,
        "packets delivered to " + DemoLayout.PROBE + " " + count(Count.PACKETS_DELIVERED));
    row(
        out,
        state,
        DemoLayout.LIGHTNING,
        "payments settled "
            + count(Count.PAYMENTS_SETTLED)
            + ", pending "
            + count(Count.PAYMENTS_PENDING)
            + ", failed "
            + count(Count.PAYMENTS_FAILED));
    out.add(
        "  "
            + pad(DemoLayout.PROBE, 16)
            + pad(state.apply(DemoLayout.PROBE), 9)
            + "routes a packet on every block");
    if (!warnings.isEmpty()) {
      out.add("");
      out.add("last warnings:");
      for (String w : warnings) {
        out.add("  " + w);
      }
    }
    return out;
  }

  @GuardedBy("this")
  private void row(
      List<String> out, Function<String, String> state, String module, String figures) {
    out.add("  " + pad(module, 16) + pad(state.apply(module), 9) + figures);
    out.add("  " + pad("", 25) + "last: " + last.getOrDefault(module, "-"));
  }

  private static String pad(String s, int n) {
    return s.length() >= n ? s + " " : s + " ".repeat(n - s.length());
  }

  static String abbreviate(String hash) {
    return hash.length() > 16 ? hash.substring(0, 16) + "…" : hash;
  }
}
