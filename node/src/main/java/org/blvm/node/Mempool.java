package org.blvm.node;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Unconfirmed transactions in arrival order, with the outputs they spend. Holds no validation
 * logic: the chain checks a transaction before {@link #add}. Guarded by the chain's lock.
 */
final class Mempool {
  /** A transaction in the mempool; {@code seq} orders arrival. */
  record Entry(Tx tx, long fee, long seq) {
    double feeRate() {
      return (double) fee / tx.vsize();
    }
  }

  private final LinkedHashMap<String, Entry> entries = new LinkedHashMap<>();
  private final Map<Outpoint, String> spentBy = new HashMap<>();
  private long nextSeq;
  private long bytes;

  int size() {
    return entries.size();
  }

  long bytes() {
    return bytes;
  }

  boolean contains(String txid) {
    return entries.containsKey(txid);
  }

  Entry get(String txid) {
    return entries.get(txid);
  }

  /** Entries in arrival order (a view; do not modify the mempool while iterating). */
  Collection<Entry> entries() {
    return Collections.unmodifiableCollection(entries.values());
  }

  void add(Tx tx, long fee) {
    entries.put(tx.txid(), new Entry(tx, fee, nextSeq++));
    bytes += tx.vsize();
    for (TxIn in : tx.inputs()) {
      spentBy.put(in.prevout(), tx.txid());
    }
  }

  Entry remove(String txid) {
    Entry e = entries.remove(txid);
    if (e != null) {
      bytes -= e.tx().vsize();
      for (TxIn in : e.tx().inputs()) {
        spentBy.remove(in.prevout(), txid);
      }
    }
    return e;
  }

  /** The mempool transaction spending {@code o}, or null. */
  String spender(Outpoint o) {
    return spentBy.get(o);
  }

  /** The output {@code o} when a mempool transaction creates it, else null. */
  TxOut output(Outpoint o) {
    Entry e = entries.get(o.txid());
    if (e == null || o.vout() >= e.tx().outputs().size()) {
      return null;
    }
    return e.tx().outputs().get((int) o.vout());
  }

  /** {@code txid} and every mempool transaction that spends its outputs, transitively. */
  List<String> withDescendants(String txid) {
    Set<String> seen = new LinkedHashSet<>();
    Deque<String> todo = new ArrayDeque<>();
    todo.add(txid);
    while (!todo.isEmpty()) {
      String t = todo.poll();
      Entry e = entries.get(t);
      if (e == null || !seen.add(t)) {
        continue;
      }
      for (int i = 0; i < e.tx().outputs().size(); i++) {
        String child = spentBy.get(new Outpoint(t, i));
        if (child != null) {
          todo.add(child);
        }
      }
    }
    return new ArrayList<>(seen);
  }

  /** The entry with the lowest fee rate (the earliest among equals), or null when empty. */
  Entry lowestFeeRate() {
    Entry low = null;
    for (Entry e : entries.values()) {
      if (low == null || e.feeRate() < low.feeRate()) {
        low = e;
      }
    }
    return low;
  }
}
