package org.blvm.node;

/**
 * A transaction output's position: the txid (display order) and the output index. The coinbase's
 * input spends {@link #NULL}.
 */
record Outpoint(String txid, long vout) {
  static final Outpoint NULL = new Outpoint("00".repeat(32), 0xffffffffL);

  boolean isNull() {
    return equals(NULL);
  }
}
