package org.blvm.node;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The unspent outputs of the main chain's tip, how a block changes them (connect, and disconnect
 * with the block's undo data), and an index of those paying one of the node's own wallet scripts
 * (in a list, for picking one at random in constant time). Not thread-safe: the chain's lock guards
 * it.
 */
final class UtxoSet {
  private final Map<Outpoint, Coin> coins = new HashMap<>();
  private final List<Bytes> walletScripts;
  private final Set<Bytes> walletScriptSet;
  private final List<Outpoint> walletCoins = new ArrayList<>();
  private final Map<Outpoint, Integer> walletPos = new HashMap<>();

  /** An empty set whose wallet index covers outputs paying one of {@code walletScripts}. */
  UtxoSet(List<Bytes> walletScripts) {
    this.walletScripts = List.copyOf(walletScripts);
    this.walletScriptSet = new HashSet<>(walletScripts);
  }

  Coin get(Outpoint o) {
    return coins.get(o);
  }

  boolean contains(Outpoint o) {
    return coins.containsKey(o);
  }

  int size() {
    return coins.size();
  }

  void put(Outpoint o, Coin c) {
    coins.put(o, c);
    if (walletScriptSet.contains(c.output().script()) && !walletPos.containsKey(o)) {
      walletPos.put(o, walletCoins.size());
      walletCoins.add(o);
    }
  }

  /** Removes {@code o} (nothing when absent); a wallet coin leaves the index too. */
  void remove(Outpoint o) {
    if (coins.remove(o) == null) {
      return;
    }
    Integer i = walletPos.remove(o);
    if (i != null) {
      Outpoint last = walletCoins.remove(walletCoins.size() - 1);
      if (i < walletCoins.size()) {
        walletCoins.set(i, last);
        walletPos.put(last, i);
      }
    }
  }

  /**
   * Checks block {@code e} against this set (the UTXO set of its parent) and applies it, keeping
   * the coins it spends as its undo data. Changes nothing and returns the reject reason when it
   * fails; null on success.
   */
  String connect(BlockEntry e) {
    Block b = e.block;
    Map<Outpoint, Coin> created = new LinkedHashMap<>();
    Set<Outpoint> spent = new LinkedHashSet<>();
    List<Coin> undo = new ArrayList<>();
    long fees = 0;
    for (Tx tx : b.txs()) {
      for (int v = 0; v < tx.outputs().size(); v++) {
        if (coins.containsKey(new Outpoint(tx.txid(), v))) {
          return "bad-txns-BIP30";
        }
      }
      if (!tx.isCoinbase()) {
        long in = 0;
        for (TxIn input : tx.inputs()) {
          Outpoint o = input.prevout();
          Coin c = created.containsKey(o) ? created.get(o) : coins.get(o);
          if (c == null || !spent.add(o)) {
            return "bad-txns-inputs-missingorspent";
          }
          in += c.output().value();
          undo.add(c);
        }
        if (in > Consensus.MAX_MONEY) {
          return "bad-txns-inputvalues-outofrange";
        }
        if (tx.outputTotal() > in) {
          return "bad-txns-in-belowout";
        }
        fees += in - tx.outputTotal();
      }
      for (int v = 0; v < tx.outputs().size(); v++) {
        created.put(
            new Outpoint(tx.txid(), v), new Coin(tx.outputs().get(v), e.height, tx.isCoinbase()));
      }
    }
    if (b.txs().get(0).outputTotal() > Consensus.subsidy(e.height) + fees) {
      return "bad-cb-amount";
    }
    for (Outpoint o : spent) {
      if (created.remove(o) == null) {
        remove(o);
      }
    }
    for (Map.Entry<Outpoint, Coin> c : created.entrySet()) {
      put(c.getKey(), c.getValue());
    }
    e.undo = undo;
    return null;
  }

  /**
   * Undoes block {@code e}, the last one connected: its outputs leave the set, the coins it spent
   * come back. Fails when {@code e} has no body or undo data (pruned).
   */
  void disconnect(BlockEntry e) {
    if (e.pruned() || e.undo == null) {
      throw new IllegalStateException("cannot disconnect pruned block " + e.hash);
    }
    List<Tx> txs = e.block.txs();
    int u = e.undo.size();
    for (int i = txs.size() - 1; i >= 0; i--) {
      Tx tx = txs.get(i);
      for (int v = 0; v < tx.outputs().size(); v++) {
        remove(new Outpoint(tx.txid(), v));
      }
      if (!tx.isCoinbase()) {
        for (int k = tx.inputs().size() - 1; k >= 0; k--) {
          put(tx.inputs().get(k).prevout(), e.undo.get(--u));
        }
      }
    }
    e.undo = null;
  }

  /** The number of wallet scripts (the range of {@link #walletScript}). */
  int walletScriptCount() {
    return walletScripts.size();
  }

  Bytes walletScript(int i) {
    return walletScripts.get(i);
  }

  /** The number of unspent outputs paying a wallet script (the range of {@link #walletCoin}). */
  int walletCoinCount() {
    return walletCoins.size();
  }

  Outpoint walletCoin(int i) {
    return walletCoins.get(i);
  }

  /** Null when this set equals {@code expected} (rebuilt from the chain's blocks), else how not. */
  String differenceFrom(Map<Outpoint, Coin> expected) {
    return expected.equals(coins)
        ? null
        : "UTXO set differs from the chain's: " + expected.size() + " vs " + coins.size();
  }

  /** Null when the wallet index holds exactly the wallet's coins, else the first difference. */
  String walletIndexInconsistency() {
    long walletInUtxo = 0;
    for (Map.Entry<Outpoint, Coin> c : coins.entrySet()) {
      if (walletScriptSet.contains(c.getValue().output().script())) {
        walletInUtxo++;
        if (!walletPos.containsKey(c.getKey())) {
          return "wallet index misses " + c.getKey();
        }
      }
    }
    if (walletInUtxo != walletCoins.size()) {
      return "wallet index has " + walletCoins.size() + " coins, the UTXO set " + walletInUtxo;
    }
    return null;
  }
}
