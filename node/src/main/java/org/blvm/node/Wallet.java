package org.blvm.node;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.blvm.protocol.EventPayloads;
import org.blvm.protocol.EventType;

/**
 * The node's own simulated wallet and the economy around it: the base fee rate and its random walk,
 * transactions between wallet scripts, fee bumps (BIP 125 style replacements) and payments. Its
 * coins are the UTXO set's wallet index; witnesses are shaped like signatures and keys and never
 * checked. Not thread-safe: the chain's lock guards it.
 */
final class Wallet {
  private final SplitMix64 random;
  private final UtxoSet utxo;
  private final Mempool mempool;
  private final MempoolAcceptance acceptance;
  private final EventOutbox out;
  private double feeRate = 5.0;

  Wallet(
      SplitMix64 random,
      UtxoSet utxo,
      Mempool mempool,
      MempoolAcceptance acceptance,
      EventOutbox out) {
    this.random = random;
    this.utxo = utxo;
    this.mempool = mempool;
    this.acceptance = acceptance;
    this.out = out;
  }

  /** The base fee rate in sat/vB. */
  double feeRate() {
    return feeRate;
  }

  /**
   * Estimated fee rate to confirm within {@code targetBlocks}: falls from the base rate to half.
   */
  double feeEstimate(int targetBlocks) {
    double r = feeRate * (0.5 + 0.5 / targetBlocks);
    return Math.max(MempoolAcceptance.MIN_RELAY_FEE_RATE, Math.round(r * 100) / 100.0);
  }

  /** A random wallet script (block rewards and change go to one). */
  Bytes randomScript() {
    return utxo.walletScript(random.nextInt(utxo.walletScriptCount()));
  }

  /** A random walk of the base fee rate (the estimate and the simulated fees follow it). */
  void simulateFeeChange() {
    double old = feeRate;
    double next = Math.round(old * StrictMath.exp(0.25 * random.nextGaussian()) * 100) / 100.0;
    next = Math.min(1000.0, Math.max(MempoolAcceptance.MIN_RELAY_FEE_RATE, next));
    if (next != old) {
      feeRate = next;
      out.emit(EventType.FeeRateChanged, new EventPayloads.FeeRateChanged(old, next));
    }
  }

  /**
   * A transaction of the simulated economy: one to three wallet coins to one to three wallet
   * outputs (more outputs while the wallet has few coins, more inputs while it has many), at a fee
   * rate around the current one. Returns whether the mempool accepted it.
   */
  boolean simulateTransaction() {
    int nIn = utxo.walletCoinCount() > 400 ? 2 + random.nextInt(2) : 1 + random.nextInt(2);
    Set<Outpoint> ins = new LinkedHashSet<>();
    for (int i = 0; i < nIn; i++) {
      Outpoint o = freeCoin(ins);
      if (o != null) {
        ins.add(o);
      }
    }
    if (ins.isEmpty()) {
      return false;
    }
    int nOut = utxo.walletCoinCount() < 100 ? 2 + random.nextInt(2) : 1 + random.nextInt(2);
    List<Bytes> change = new ArrayList<>();
    for (int i = 0; i < nOut; i++) {
      change.add(randomScript());
    }
    double rate =
        Math.max(MempoolAcceptance.MIN_RELAY_FEE_RATE, feeRate * (0.5 + 1.5 * random.nextDouble()));
    Tx tx = spend(new ArrayList<>(ins), List.of(), change, rate);
    return tx != null && acceptance.acceptOwn(tx) == null;
  }

  /**
   * Replaces (BIP 125 style) a random own mempool transaction that nothing spends yet: same inputs,
   * a fee rate 25% higher plus 1 sat/vB, paid from its largest output.
   */
  boolean simulateReplacement() {
    if (!acceptance.hasOwn()) {
      return false;
    }
    List<String> own = acceptance.ownTxids();
    int start = random.nextInt(own.size());
    for (int i = 0; i < own.size(); i++) {
      String txid = own.get((start + i) % own.size());
      Mempool.Entry old = mempool.get(txid);
      if (old == null || mempool.withDescendants(txid).size() != 1) {
        continue;
      }
      List<TxOut> outs = new ArrayList<>(old.tx().outputs());
      int largest = 0;
      for (int k = 1; k < outs.size(); k++) {
        if (outs.get(k).value() > outs.get(largest).value()) {
          largest = k;
        }
      }
      Tx draft = signedLike(old.tx().inputs(), outs);
      long newFee =
          Math.max(
              (long) Math.ceil(draft.vsize() * (old.feeRate() * 1.25 + 1)),
              old.fee()
                  + (long) Math.ceil(draft.vsize() * MempoolAcceptance.MIN_RELAY_FEE_RATE)
                  + 1);
      long value = outs.get(largest).value() - (newFee - old.fee());
      if (value < MempoolAcceptance.DUST) {
        return false;
      }
      outs.set(largest, new TxOut(value, outs.get(largest).script()));
      Tx replacement = new Tx(draft.version(), draft.inputs(), outs, 0);
      return acceptance.acceptOwn(replacement) == null;
    }
    return false;
  }

  /**
   * Pays {@code amount} to {@code script} from the wallet at 1.5 times the current fee rate;
   * returns the txid, or null when the wallet cannot (the mempool refused, or too few free coins).
   */
  String pay(Bytes script, long amount) {
    Set<Outpoint> ins = new LinkedHashSet<>();
    long total = 0;
    while (total < amount + 100_000 && ins.size() < 5) {
      Outpoint o = freeCoin(ins);
      if (o == null) {
        break;
      }
      ins.add(o);
      total += utxo.get(o).output().value();
    }
    double rate = Math.max(MempoolAcceptance.MIN_RELAY_FEE_RATE, feeRate * 1.5);
    Tx tx =
        spend(
            new ArrayList<>(ins),
            List.of(new TxOut(amount, script)),
            List.of(randomScript()),
            rate);
    if (tx == null || acceptance.accept(tx) != null) {
      return null;
    }
    return tx.txid();
  }

  /** A random confirmed wallet coin no mempool transaction spends, or null after a few tries. */
  private Outpoint freeCoin(Set<Outpoint> exclude) {
    for (int tries = 0; tries < 16 && utxo.walletCoinCount() > 0; tries++) {
      Outpoint o = utxo.walletCoin(random.nextInt(utxo.walletCoinCount()));
      if (mempool.spender(o) == null && !exclude.contains(o)) {
        return o;
      }
    }
    return null;
  }

  /**
   * A transaction spending {@code ins} to {@code fixed} outputs and the rest, less the fee at
   * {@code rate}, split randomly over {@code change} scripts (a part under the dust limit is left
   * to the fee). Each input gets a witness shaped like a signature and a public key; nothing checks
   * it. Null when the inputs do not cover the outputs and fee.
   */
  private Tx spend(List<Outpoint> ins, List<TxOut> fixed, List<Bytes> change, double rate) {
    if (ins.isEmpty()) {
      return null;
    }
    List<TxIn> inputs = new ArrayList<>();
    long total = 0;
    for (Outpoint o : ins) {
      total += utxo.get(o).output().value();
      inputs.add(new TxIn(o, Bytes.EMPTY, 0xfffffffdL, fakeWitness()));
    }
    double[] weights = new double[change.size()];
    double sum = 0;
    for (int i = 0; i < weights.length; i++) {
      weights[i] = 0.2 + random.nextDouble();
      sum += weights[i];
    }
    long fixedTotal = 0;
    for (TxOut o : fixed) {
      fixedTotal += o.value();
    }
    long fee = 0;
    Tx tx = null;
    for (int pass = 0; pass < 2; pass++) {
      long rest = total - fixedTotal - fee;
      if (rest < 0) {
        return null;
      }
      List<TxOut> outs = new ArrayList<>(fixed);
      long left = rest;
      for (int i = 0; i < change.size(); i++) {
        long part = i == change.size() - 1 ? left : (long) (rest * (weights[i] / sum));
        left -= part;
        if (part >= MempoolAcceptance.DUST) {
          outs.add(new TxOut(part, change.get(i)));
        }
      }
      if (outs.isEmpty()) {
        return null;
      }
      tx = new Tx(2, inputs, outs, 0);
      fee = (long) Math.ceil(tx.vsize() * rate);
    }
    return tx.outputTotal() + fee <= total ? tx : null;
  }

  /** A transaction with {@code inputs}' outpoints, new fake witnesses, and {@code outs}. */
  private Tx signedLike(List<TxIn> inputs, List<TxOut> outs) {
    List<TxIn> fresh = new ArrayList<>();
    for (TxIn in : inputs) {
      fresh.add(new TxIn(in.prevout(), in.scriptSig(), in.sequence(), fakeWitness()));
    }
    return new Tx(2, fresh, outs, 0);
  }

  /** A DER-signature-shaped item (72 bytes) and a compressed-public-key-shaped item (33). */
  private List<Bytes> fakeWitness() {
    byte[] sig = random.nextBytes(72);
    sig[0] = 0x30;
    sig[1] = 69;
    sig[71] = 0x01;
    byte[] key = random.nextBytes(33);
    key[0] = (byte) (2 + random.nextInt(2));
    return List.of(Bytes.owned(sig), Bytes.owned(key));
  }
}
