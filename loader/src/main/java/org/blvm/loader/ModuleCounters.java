package org.blvm.loader;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;
import org.blvm.protocol.Capability;
import org.blvm.protocol.ErrorCode;
import org.blvm.protocol.ErrorValue;
import org.blvm.protocol.NodeMethod;

/**
 * What the loader counts for one module, over all its launches (a restart keeps counting; an unload
 * forgets the module). Counting never takes a lock: fixed arrays indexed by method, result and
 * capability, and {@link LongAdder}s, updated by the module's reader and writer threads and by
 * whichever thread completes a call. A scrape sums them without stopping anyone.
 */
final class ModuleCounters {
  /** The {@code method} label of requests whose method is not in the catalog. */
  static final String OTHER_METHOD = "other";

  /** The {@code result} label of a successful request. */
  static final String OK = "ok";

  private static final NodeMethod[] METHODS = NodeMethod.values();
  private static final ErrorCode[] CODES = ErrorCode.values();
  private static final Capability[] CAPABILITIES = Capability.values();

  /** Rows: every catalog method, then {@code ready}, then other; columns: ok, then each code. */
  private static final int ROWS = METHODS.length + 2;

  private static final int COLUMNS = CODES.length + 1;

  private final AtomicLongArray calls = new AtomicLongArray(ROWS * COLUMNS);
  private final AtomicLongArray denials = new AtomicLongArray(CAPABILITIES.length);
  private final LongAdder received = new LongAdder();
  private final LongAdder rateLimited = new LongAdder();
  private final LongAdder eventsSent = new LongAdder();
  private final LongAdder eventsDropped = new LongAdder();
  private final LongAdder overflows = new LongAdder();
  private final LongAdder bytesIn = new LongAdder();
  private final LongAdder bytesOut = new LongAdder();
  private final LongAdder protocolErrors = new LongAdder();

  /** The row of {@code ready}, which is not a catalog method. */
  static final int READY_ROW = METHODS.length;

  /** Counts one answered request by its method and result. */
  void call(String method, ErrorValue error) {
    call(row(method), error);
  }

  /** Counts one answered request by its method's {@link #row} and its result. */
  void call(int row, ErrorValue error) {
    int col = error == null ? 0 : error.code().ordinal() + 1;
    calls.incrementAndGet(row * COLUMNS + col);
  }

  /**
   * A request's method as the row it is counted in: a catalog method's ordinal, {@link #READY_ROW},
   * or the row of methods not in the catalog. Looked up once per request (the dispatcher takes the
   * row too, {@link #method}).
   */
  static int row(String method) {
    if (NodeMethod.READY.equals(method)) {
      return READY_ROW;
    }
    Optional<NodeMethod> m = NodeMethod.fromWire(method);
    return m.isPresent() ? m.get().ordinal() : METHODS.length + 1;
  }

  /** The catalog method of a {@link #row}; null for {@code ready} and for methods not in it. */
  static NodeMethod method(int row) {
    return row < METHODS.length ? METHODS[row] : null;
  }

  /** One request received, before any check. */
  void received() {
    received.increment();
  }

  void denied(Capability capability) {
    denials.incrementAndGet(capability.ordinal());
  }

  void rateLimited() {
    rateLimited.increment();
  }

  void eventsSent(long n) {
    eventsSent.add(n);
  }

  void eventsDropped(long n) {
    eventsDropped.add(n);
  }

  void overflow() {
    overflows.increment();
  }

  void bytesIn(long n) {
    bytesIn.add(n);
  }

  void bytesOut(long n) {
    bytesOut.add(n);
  }

  void protocolError() {
    protocolErrors.increment();
  }

  /** Answered requests by method and result; only the pairs that occurred. */
  List<ModuleMetrics.Calls> calls() {
    List<ModuleMetrics.Calls> out = new ArrayList<>();
    for (int row = 0; row < ROWS; row++) {
      String method =
          row < METHODS.length
              ? METHODS[row].wireName()
              : row == METHODS.length ? NodeMethod.READY : OTHER_METHOD;
      for (int col = 0; col < COLUMNS; col++) {
        long n = calls.get(row * COLUMNS + col);
        if (n > 0) {
          out.add(new ModuleMetrics.Calls(method, col == 0 ? OK : CODES[col - 1].name(), n));
        }
      }
    }
    return out;
  }

  /** Refusals for a missing capability or allowance, by capability; only those that occurred. */
  Map<String, Long> denials() {
    Map<String, Long> out = new LinkedHashMap<>();
    for (Capability c : CAPABILITIES) {
      long n = denials.get(c.ordinal());
      if (n > 0) {
        out.put(c.wireName(), n);
      }
    }
    return out;
  }

  long deniedTotal() {
    long n = 0;
    for (int i = 0; i < denials.length(); i++) {
      n += denials.get(i);
    }
    return n;
  }

  /** Requests received. */
  long receivedCalls() {
    return received.sum();
  }

  long rateLimitedCalls() {
    return rateLimited.sum();
  }

  long eventsSent() {
    return eventsSent.sum();
  }

  long eventsDropped() {
    return eventsDropped.sum();
  }

  long overflows() {
    return overflows.sum();
  }

  long bytesIn() {
    return bytesIn.sum();
  }

  long bytesOut() {
    return bytesOut.sum();
  }

  long protocolErrors() {
    return protocolErrors.sum();
  }
}
