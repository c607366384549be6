package org.blvm.demo;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.blvm.loader.NodeBackend;
import org.blvm.protocol.Api;
import org.blvm.protocol.EventPayloads;

/**
 * A deterministic in-memory chain and mempool for the end-to-end tests and benchmarks. Blocks are
 * "mined" on request; hashes are SHA-256 of the height and the previous hash, so every run produces
 * the same chain. Thread-safe.
 */
public final class SimulatedChain implements NodeBackend {
  private static final long GENESIS_TIME = 1_231_006_505L;
  private static final String ZERO = "00".repeat(32);

  private final List<Api.Block> blocks = new ArrayList<>();
  private final Map<String, Api.Block> byHash = new LinkedHashMap<>();
  private final Map<String, Api.Transaction> transactions = new LinkedHashMap<>();
  private final Map<String, Api.MempoolEntry> mempool = new LinkedHashMap<>();

  public SimulatedChain() {
    append(ZERO, 0);
  }

  /** Mines the next block with {@code txCount} transactions and returns its NewBlock payload. */
  public synchronized EventPayloads.NewBlock mineBlock(int txCount) {
    Api.Block tip = blocks.get(blocks.size() - 1);
    Api.Block b = append(tip.header().hash(), txCount);
    return new EventPayloads.NewBlock(
        b.header().hash(),
        b.header().height(),
        b.header().prevHash(),
        b.header().time(),
        b.txids().size());
  }

  /** Adds a transaction to the mempool and returns its MempoolTransactionAdded payload. */
  public synchronized EventPayloads.MempoolTransactionAdded addMempoolTransaction(
      long size, long fee) {
    String txid = sha256Hex("mempool:" + mempool.size() + ":" + blocks.size());
    Api.MempoolEntry e = new Api.MempoolEntry(txid, size, fee, (double) fee / size);
    mempool.put(txid, e);
    return new EventPayloads.MempoolTransactionAdded(txid, size, fee, e.feeRate());
  }

  private Api.Block append(String prevHash, int txCount) {
    long height = blocks.size();
    String hash = sha256Hex(height + ":" + prevHash);
    List<String> txids = new ArrayList<>();
    for (int i = 0; i <= txCount; i++) {
      String txid = sha256Hex("tx:" + height + ":" + i);
      txids.add(txid);
      transactions.put(txid, new Api.Transaction(txid, hash, 250, "02000000" + txid));
    }
    Api.Block block =
        new Api.Block(
            new Api.BlockHeader(
                hash,
                prevHash,
                sha256Hex(String.join("", txids)),
                height,
                GENESIS_TIME + height * 600,
                0x1d00ffffL,
                height * 7919,
                4),
            txids,
            80 + 250L * txids.size());
    blocks.add(block);
    byHash.put(hash, block);
    return block;
  }

  @Override
  public synchronized Optional<Api.Block> getBlock(String hash) {
    return Optional.ofNullable(byHash.get(hash));
  }

  @Override
  public synchronized Optional<Api.BlockHeader> getBlockHeader(String hash) {
    return getBlock(hash).map(Api.Block::header);
  }

  @Override
  public synchronized Optional<Api.Block> getBlockByHeight(long height) {
    return height < blocks.size() ? Optional.of(blocks.get((int) height)) : Optional.empty();
  }

  @Override
  public synchronized Optional<String> getBlockHash(long height) {
    return getBlockByHeight(height).map(b -> b.header().hash());
  }

  @Override
  public synchronized Api.ChainTip getChainTip() {
    Api.Block tip = blocks.get(blocks.size() - 1);
    return new Api.ChainTip(tip.header().hash(), tip.header().height());
  }

  @Override
  public synchronized Optional<Api.Transaction> getTransaction(String txid) {
    return Optional.ofNullable(transactions.get(txid));
  }

  @Override
  public synchronized List<Api.MempoolEntry> getMempoolTransactions() {
    return List.copyOf(mempool.values());
  }

  @Override
  public synchronized Optional<Api.MempoolEntry> getMempoolTransaction(String txid) {
    return Optional.ofNullable(mempool.get(txid));
  }

  @Override
  public synchronized Api.MempoolSize getMempoolSize() {
    return new Api.MempoolSize(
        mempool.size(), mempool.values().stream().mapToLong(Api.MempoolEntry::size).sum());
  }

  @Override
  public Api.FeeEstimate getFeeEstimate(int targetBlocks) {
    return new Api.FeeEstimate(targetBlocks, Math.max(1.0, 20.0 / targetBlocks));
  }

  @Override
  public Api.NetworkStats getNetworkStats() {
    return new Api.NetworkStats(8, 0, 8, 1_000_000, 50_000_000);
  }

  @Override
  public List<Api.PeerInfo> getNetworkPeers() {
    List<Api.PeerInfo> peers = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      peers.add(new Api.PeerInfo(i, "127.0.0." + (i + 1) + ":8333", false, "/Satoshi:27.0.0/"));
    }
    return peers;
  }

  @Override
  public synchronized Api.BlockTemplate getBlockTemplate() {
    Api.ChainTip tip = getChainTip();
    return new Api.BlockTemplate(
        tip.hash(), tip.height() + 1, 0x1d00ffffL, 312_500_000L, List.copyOf(mempool.keySet()));
  }

  @Override
  public Api.SubmitBlockResult submitBlock(String blockHex) {
    return new Api.SubmitBlockResult(false, "the simulated chain only mines its own blocks");
  }

  private static String sha256Hex(String s) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      return HexFormat.of().formatHex(md.digest(s.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
