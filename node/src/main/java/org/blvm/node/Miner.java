package org.blvm.node;

import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;

/**
 * Mines the simulated network's blocks: a coinbase paying a wallet script with a fresh extranonce,
 * and a header ground until its hash meets the target. Checks nothing; the chain connects what it
 * returns like any other block. Not thread-safe: the chain's lock guards it.
 */
final class Miner {
  private final long targetBits;
  private final byte[] targetBytes;
  private final SimClock clock;
  private final Wallet wallet;
  private long extranonce;

  Miner(SimulationSettings settings, SimClock clock, Wallet wallet) {
    this.targetBits = settings.targetBits();
    this.targetBytes = CompactTarget.bytes(settings.target());
    this.clock = clock;
    this.wallet = wallet;
  }

  /**
   * A block on {@code parent} (null: genesis) with {@code txs} paying {@code fees}, its coinbase
   * paying a random wallet script, timed now or just after the median of past times.
   */
  BlockEntry mineOn(BlockEntry parent, List<Tx> txs, long fees) {
    long height = parent == null ? 0 : parent.height + 1;
    Bytes payout = wallet.randomScript();
    Bytes[] parts = Consensus.coinbaseParts(height, Consensus.subsidy(height) + fees, payout);
    long time =
        parent == null
            ? clock.seconds()
            : Math.max(clock.seconds(), Consensus.medianTimePast(parent) + 1);
    String prev = parent == null ? Consensus.ZERO_HASH : parent.hash;
    while (true) {
      extranonce++;
      byte[] coinbase = new ByteWriter().bytes(parts[0]).le64(extranonce).bytes(parts[1]).toArray();
      List<Tx> all = new ArrayList<>(txs.size() + 1);
      try {
        all.add(Tx.parse(coinbase));
      } catch (DecodeException e) {
        throw new IllegalStateException("the coinbase the chain built does not parse", e);
      }
      all.addAll(txs);
      Block unsolved =
          new Block(
              new Header(Consensus.VERSION, prev, Consensus.merkleRoot(all), time, targetBits, 0),
              all);
      Header solved = grind(unsolved.header());
      if (solved != null) {
        return new BlockEntry(new Block(solved, all), height, parent);
      }
    }
  }

  /** The header with the first nonce that meets the target, or null when none of 2^32 does. */
  private Header grind(Header h) {
    byte[] ser = h.serialize();
    MessageDigest md = Hashes.sha256();
    for (long n = 0; n <= 0xffffffffL; n++) {
      ser[76] = (byte) n;
      ser[77] = (byte) (n >>> 8);
      ser[78] = (byte) (n >>> 16);
      ser[79] = (byte) (n >>> 24);
      byte[] hash = md.digest(md.digest(ser));
      if (CompactTarget.meets(hash, targetBytes)) {
        return h.withNonce(n);
      }
    }
    return null;
  }
}
