package org.blvm.node;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Bitcoin's consensus constants and the block and transaction checks that need no UTXO set, with
 * Bitcoin Core's reject reasons (docs/simulation.md). Each check returns the reason of the first
 * rule broken, or null.
 */
final class Consensus {
  static final long COIN = 100_000_000L;
  static final long MAX_MONEY = 21_000_000L * COIN;
  static final int VERSION = 0x20000000;
  static final int EXTRANONCE_SIZE = 8;
  static final int MAX_FORK_DEPTH = 100;
  static final long MAX_FUTURE_SECONDS = 2 * 60 * 60;
  static final int MAX_BLOCK_BYTES = 4_000_000;
  static final long HALVING_INTERVAL = 210_000;
  static final String ZERO_HASH = "00".repeat(32);

  private Consensus() {}

  static long subsidy(long height) {
    long halvings = height / HALVING_INTERVAL;
    return halvings >= 64 ? 0 : (50 * COIN) >> halvings;
  }

  /** Median of the times of {@code e} and up to ten blocks before it. */
  static long medianTimePast(BlockEntry e) {
    long[] times = new long[11];
    int n = 0;
    for (BlockEntry b = e; b != null && n < 11; b = b.prev) {
      times[n++] = b.header.time();
    }
    long[] t = Arrays.copyOf(times, n);
    Arrays.sort(t);
    return t[n / 2];
  }

  /** The merkle root of {@code txs}' txids, in display order. */
  static String merkleRoot(List<Tx> txs) {
    List<byte[]> leaves = new ArrayList<>(txs.size());
    for (Tx tx : txs) {
      leaves.add(tx.txidInternal());
    }
    return Hashes.display(Hashes.merkleRoot(leaves));
  }

  /**
   * The coinbase around the extranonce: version 2, one input spending nothing with the input script
   * {@code heightPush || extranonce}, sequence 0xffffffff, one output, lock time 0.
   */
  static Bytes[] coinbaseParts(long height, long value, Bytes payout) {
    byte[] push = Scripts.heightPush(height);
    byte[] prefix =
        new ByteWriter()
            .le32(2)
            .varint(1)
            .bytes(new byte[32])
            .le32(0xffffffffL)
            .varint(push.length + EXTRANONCE_SIZE)
            .bytes(push)
            .toArray();
    byte[] suffix =
        new ByteWriter().le32(0xffffffffL).varint(1).le64(value).varBytes(payout).le32(0).toArray();
    return new Bytes[] {Bytes.owned(prefix), Bytes.owned(suffix)};
  }

  /** Context-free checks, in Bitcoin Core's order (CheckBlock and CheckTransaction). */
  static String checkBlock(Block b) {
    BigInteger t = CompactTarget.decode(b.header().bits());
    if (t == null || !CompactTarget.meets(b.header().hashInternal(), t)) {
      return "high-hash";
    }
    if (b.txs().isEmpty()) {
      return "bad-blk-length";
    }
    if (!Hashes.display(Hashes.merkleRoot(b.leaves())).equals(b.header().merkleRoot())) {
      return "bad-txnmrklroot";
    }
    Set<String> txids = new HashSet<>();
    for (Tx tx : b.txs()) {
      if (!txids.add(tx.txid())) {
        return "bad-txns-duplicate";
      }
    }
    if (b.size() > MAX_BLOCK_BYTES) {
      return "bad-blk-length";
    }
    if (!b.txs().get(0).isCoinbase()) {
      return "bad-cb-missing";
    }
    for (int i = 1; i < b.txs().size(); i++) {
      if (b.txs().get(i).isCoinbase()) {
        return "bad-cb-multiple";
      }
    }
    for (Tx tx : b.txs()) {
      String r = checkTransaction(tx);
      if (r != null) {
        return r;
      }
    }
    return null;
  }

  /**
   * Checks that need the previous block: target ({@code targetBits}), time against the median of
   * past times and {@code nowSeconds}, fork depth below {@code tipHeight}, BIP 34 height.
   */
  static String contextualCheck(
      Block b, BlockEntry prev, long targetBits, long nowSeconds, long tipHeight) {
    Header h = b.header();
    if (h.bits() != targetBits) {
      return "bad-diffbits";
    }
    if (h.time() <= medianTimePast(prev)) {
      return "time-too-old";
    }
    if (h.time() > nowSeconds + MAX_FUTURE_SECONDS) {
      return "time-too-new";
    }
    BlockEntry fork = prev;
    while (!fork.mainChain) {
      fork = fork.prev;
    }
    if (fork.height < tipHeight - MAX_FORK_DEPTH) {
      return "bad-fork-prior-to-checkpoint";
    }
    byte[] expect = Scripts.heightPush(prev.height + 1);
    Bytes script = b.txs().get(0).inputs().get(0).scriptSig();
    if (script.length() < expect.length) {
      return "bad-cb-height";
    }
    for (int i = 0; i < expect.length; i++) {
      if (script.at(i) != expect[i]) {
        return "bad-cb-height";
      }
    }
    return null;
  }

  /** Bitcoin Core's CheckTransaction: structure and amounts, no context. */
  static String checkTransaction(Tx tx) {
    if (tx.inputs().isEmpty()) {
      return "bad-txns-vin-empty";
    }
    if (tx.outputs().isEmpty()) {
      return "bad-txns-vout-empty";
    }
    long total = 0;
    for (TxOut o : tx.outputs()) {
      if (o.value() < 0) {
        return "bad-txns-vout-negative";
      }
      if (o.value() > MAX_MONEY) {
        return "bad-txns-vout-toolarge";
      }
      total += o.value();
      if (total > MAX_MONEY) {
        return "bad-txns-txouttotal-toolarge";
      }
    }
    Set<Outpoint> seen = new HashSet<>();
    for (TxIn in : tx.inputs()) {
      if (!seen.add(in.prevout())) {
        return "bad-txns-inputs-duplicate";
      }
    }
    if (tx.isCoinbase()) {
      int n = tx.inputs().get(0).scriptSig().length();
      if (n < 2 || n > 100) {
        return "bad-cb-length";
      }
    } else {
      for (TxIn in : tx.inputs()) {
        if (in.prevout().isNull()) {
          return "bad-txns-prevout-null";
        }
      }
    }
    return null;
  }
}
