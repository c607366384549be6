package org.blvm.tests;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.blvm.loader.ModuleEventListener;

/** Counts the test module's {@code test.block_seen} reports, per module. */
final class BlockReports implements ModuleEventListener {
  private final Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();

  @Override
  public void onModuleEvent(String source, String type, JsonNode payload) {
    if (type.equals("test.block_seen")) {
      counts.computeIfAbsent(source, k -> new AtomicInteger()).incrementAndGet();
    }
  }

  int count(String module) {
    AtomicInteger n = counts.get(module);
    return n == null ? 0 : n.get();
  }

  /** Polls until {@code module} reported {@code n} blocks; fails after {@code timeout}. */
  void await(String module, int n, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (count(module) < n) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError(module + " reported " + count(module) + " of " + n + " blocks");
      }
      Thread.sleep(20);
    }
  }

  void clear() {
    counts.clear();
  }
}
