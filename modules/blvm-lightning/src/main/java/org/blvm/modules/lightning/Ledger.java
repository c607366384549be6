package org.blvm.modules.lightning;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The payments the module watches, their state, and the reports of their state changes. Every state
 * change is numbered ({@link Payment#transitions()}), stored (with the report, in an outbox) before
 * it is reported, and taken out of the outbox once reported, so a module killed at any point
 * reports each change after its restart: once, or — killed between the report and the next write —
 * a second time with the same number. Confined to the watcher thread.
 */
final class Ledger {
  static final int FORMAT = 1;

  /** Reports kept while they cannot be published; beyond it the oldest is dropped. */
  static final int MAX_OUTBOX = 10_000;

  /** Publishes one report; a failure leaves it in the outbox for the next {@link #flush()}. */
  @FunctionalInterface
  interface Reporter {
    void report(Payment payment) throws Exception;
  }

  private final StateFile file;
  private final Reporter reporter;
  private final int maxOutbox;
  private final Map<String, Payment> payments = new LinkedHashMap<>();
  private final List<Payment> outbox = new ArrayList<>();
  private long scannedHeight = -1;
  private boolean dirty;

  private Ledger(StateFile file, Reporter reporter, int maxOutbox) {
    this.file = file;
    this.reporter = reporter;
    this.maxOutbox = maxOutbox;
  }

  /**
   * Opens the ledger stored in {@code file}. A file that cannot be read is moved aside (reported
   * through the returned ledger's {@link #problem()}), and the module starts empty: it never stops
   * the module.
   */
  static Ledger open(StateFile file, Reporter reporter) {
    return open(file, reporter, MAX_OUTBOX);
  }

  /** {@link #open(StateFile, Reporter)} keeping at most {@code maxOutbox} unpublished reports. */
  static Ledger open(StateFile file, Reporter reporter, int maxOutbox) {
    Ledger l = new Ledger(file, reporter, maxOutbox);
    try {
      Optional<JsonNode> doc = file.read();
      if (doc.isPresent()) {
        l.load(doc.get());
      }
    } catch (IOException | IllegalArgumentException e) {
      l.payments.clear();
      l.outbox.clear();
      l.scannedHeight = -1;
      String where;
      try {
        where = "moved to " + file.moveAside();
      } catch (IOException moveFailed) {
        where = "could not be moved aside: " + moveFailed.getMessage();
      }
      l.problem = file.path() + " is unreadable (" + e.getMessage() + "); " + where;
    }
    return l;
  }

  private String problem;

  /** Why the stored state was not used, if it was not. */
  Optional<String> problem() {
    return Optional.ofNullable(problem);
  }

  private void load(JsonNode doc) {
    if (doc.path("format").asInt(-1) != FORMAT) {
      throw new IllegalArgumentException("format must be " + FORMAT);
    }
    JsonNode h = doc.path("scanned_height");
    if (!h.isIntegralNumber()) {
      throw new IllegalArgumentException("scanned_height must be an integer");
    }
    scannedHeight = h.longValue();
    for (JsonNode p : array(doc, "payments")) {
      Payment payment = Payment.fromJson(p);
      payments.put(payment.requestId(), payment);
    }
    for (JsonNode p : array(doc, "outbox")) {
      outbox.add(Payment.fromJson(p));
    }
  }

  private static JsonNode array(JsonNode doc, String key) {
    JsonNode a = doc.path(key);
    if (!a.isArray()) {
      throw new IllegalArgumentException(key + " must be an array");
    }
    return a;
  }

  int size() {
    return payments.size();
  }

  Collection<Payment> payments() {
    return List.copyOf(payments.values());
  }

  Optional<Payment> get(String requestId) {
    return Optional.ofNullable(payments.get(requestId));
  }

  /** Adds a new request; false when it is known already. */
  boolean add(Payment p) {
    if (payments.putIfAbsent(p.requestId(), p) != null) {
      return false;
    }
    dirty = true;
    return true;
  }

  /**
   * Stores {@code next} for its request. A change of state is numbered, stored with its report
   * before anything is published, then reported.
   */
  void update(Payment next) throws IOException {
    Payment prev = payments.get(next.requestId());
    if (prev == null) {
      return;
    }
    if (prev.state() == next.state()) {
      if (!prev.equals(next)) {
        payments.put(next.requestId(), next.withTransitions(prev.transitions()));
        dirty = true;
      }
      return;
    }
    Payment changed = next.withTransitions(prev.transitions() + 1);
    payments.put(changed.requestId(), changed);
    if (outbox.size() >= maxOutbox) {
      outbox.remove(0);
    }
    outbox.add(changed);
    save();
    drainOutbox();
  }

  /** Forgets a payment nothing can happen to any more (failed, or settled deep enough). */
  void remove(String requestId) {
    if (payments.remove(requestId) != null) {
      dirty = true;
    }
  }

  long scannedHeight() {
    return scannedHeight;
  }

  void scannedHeight(long h) {
    if (h != scannedHeight) {
      scannedHeight = h;
      dirty = true;
    }
  }

  /** Reports what is still in the outbox and stores what changed. */
  void flush() throws IOException {
    if (!outbox.isEmpty()) {
      drainOutbox();
    }
    if (dirty) {
      save();
    }
  }

  private void drainOutbox() throws IOException {
    int sent = 0;
    for (Payment p : outbox) {
      try {
        reporter.report(p);
      } catch (Exception e) {
        break;
      }
      sent++;
    }
    if (sent > 0) {
      outbox.subList(0, sent).clear();
      save();
    }
  }

  private void save() throws IOException {
    ObjectNode doc = JsonNodeFactory.instance.objectNode();
    doc.put("format", FORMAT);
    doc.put("scanned_height", scannedHeight);
    ArrayNode ps = doc.putArray("payments");
    payments.values().forEach(p -> ps.add(p.toJson()));
    ArrayNode out = doc.putArray("outbox");
    outbox.forEach(p -> out.add(p.toJson()));
    file.write(doc);
    dirty = false;
  }
}
