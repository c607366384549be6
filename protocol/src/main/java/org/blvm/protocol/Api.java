package org.blvm.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Parameter and result types of the NodeAPI methods ({@link NodeMethod}). On the wire each is a
 * CBOR map whose keys are the snake_case form of the component names; unknown keys are rejected.
 * Hashes and transaction ids are 64 lowercase hex characters.
 */
public final class Api {
  private Api() {}

  // ---- params ----

  /** No parameters: an empty map (or null). */
  public record NoParams() {}

  public record HashParams(String hash) {
    public HashParams {
      Hex.requireHash("hash", hash);
    }
  }

  public record HeightParams(long height) {
    public HeightParams {
      if (height < 0) {
        throw new IllegalArgumentException("height must be >= 0, found " + height);
      }
    }
  }

  public record TxidParams(String txid) {
    public TxidParams {
      Hex.requireHash("txid", txid);
    }
  }

  public record FeeEstimateParams(int targetBlocks) {
    public FeeEstimateParams {
      if (targetBlocks < 1 || targetBlocks > 1008) {
        throw new IllegalArgumentException(
            "target_blocks must be in 1..1008, found " + targetBlocks);
      }
    }
  }

  public record SubmitBlockParams(String blockHex) {
    public SubmitBlockParams {
      Objects.requireNonNull(blockHex, "block_hex");
      Hex.requireHex("block_hex", blockHex);
    }
  }

  /** An output of a transaction: {@code vout} is its index. */
  public record UtxoParams(String txid, int vout) {
    public UtxoParams {
      Hex.requireHash("txid", txid);
      if (vout < 0) {
        throw new IllegalArgumentException("vout must be >= 0, found " + vout);
      }
    }
  }

  /** A serialized transaction to relay; at most {@link #MAX_RAW_TRANSACTION_HEX} characters. */
  public record RawTransactionParams(String rawHex) {
    public RawTransactionParams {
      Hex.requireHex("raw_hex", rawHex, MAX_RAW_TRANSACTION_HEX);
    }
  }

  /** Upper bound of {@link RawTransactionParams#rawHex()}: a transaction of 400,000 bytes. */
  public static final int MAX_RAW_TRANSACTION_HEX = 800_000;

  public record SubscribeParams(List<String> events) {
    public SubscribeParams {
      events = List.copyOf(events);
    }
  }

  public record PublishEventParams(String type, JsonNode payload) {
    public PublishEventParams {
      Objects.requireNonNull(type, "type");
    }
  }

  public record CallModuleParams(String target, String method, JsonNode params) {
    public CallModuleParams {
      Objects.requireNonNull(target, "target");
      Objects.requireNonNull(method, "method");
    }
  }

  public record RegisterApiParams(List<String> methods) {
    public RegisterApiParams {
      methods = List.copyOf(methods);
    }
  }

  public record MetricParams(String name, double value, Map<String, String> labels) {
    public MetricParams {
      Objects.requireNonNull(name, "name");
      labels = labels == null ? Map.of() : Map.copyOf(labels);
    }
  }

  /**
   * A TCP connection the node opens for the module: {@code host} is a host name (resolved by the
   * node) or an IP address; the pair must match one of the module's {@code connect} rules.
   */
  public record NetConnectParams(String host, int port) {
    public NetConnectParams {
      NetAddress.requireHost("host", host);
      NetAddress.requirePort("port", port);
    }
  }

  /**
   * A listening socket the node bound for the module at start: {@code address} is one of the
   * module's {@code listen} entries, written as there ({@code "0.0.0.0:3333"}, {@code
   * "[::1]:9735"}).
   */
  public record NetListenParams(String address) {
    public NetListenParams {
      NetAddress.parseEndpoint(address);
    }
  }

  // ---- results ----

  /** An empty result map. */
  public record Empty() {}

  public record BlockHeader(
      String hash,
      String prevHash,
      String merkleRoot,
      long height,
      long time,
      long bits,
      long nonce,
      int version) {
    public BlockHeader {
      Hex.requireHash("hash", hash);
      Hex.requireHash("prev_hash", prevHash);
      Hex.requireHash("merkle_root", merkleRoot);
    }
  }

  public record Block(BlockHeader header, List<String> txids, long size) {
    public Block {
      Objects.requireNonNull(header, "header");
      txids = List.copyOf(txids);
    }
  }

  public record ChainTip(String hash, long height) {
    public ChainTip {
      Hex.requireHash("hash", hash);
    }
  }

  public record BlockHash(String hash) {
    public BlockHash {
      Hex.requireHash("hash", hash);
    }
  }

  public record BlockHeight(long height) {}

  /**
   * A transaction, confirmed ({@code block_hash} set) or in the mempool ({@code block_hash} null),
   * with its decoded inputs and outputs.
   */
  public record Transaction(
      String txid,
      String blockHash,
      long size,
      String rawHex,
      List<TxInput> inputs,
      List<TxOutput> outputs) {
    public Transaction {
      Hex.requireHash("txid", txid);
      if (blockHash != null) {
        Hex.requireHash("block_hash", blockHash);
      }
      Hex.requireHex("raw_hex", rawHex);
      inputs = List.copyOf(inputs);
      outputs = List.copyOf(outputs);
    }

    /** A transaction whose inputs and outputs the node does not decode: both lists empty. */
    public Transaction(String txid, String blockHash, long size, String rawHex) {
      this(txid, blockHash, size, rawHex, List.of(), List.of());
    }
  }

  /**
   * The output a transaction input spends. A coinbase input spends nothing: all-zero {@code txid},
   * {@code vout} 4294967295.
   */
  public record TxInput(String txid, long vout) {
    public TxInput {
      Hex.requireHash("txid", txid);
    }
  }

  /**
   * A transaction output: {@code address} is the script's address (null when the script has none),
   * {@code script_hex} the output script itself.
   */
  public record TxOutput(String address, long amountSats, String scriptHex) {
    public TxOutput {
      Hex.requireHex("script_hex", scriptHex);
    }
  }

  /** An unspent transaction output of the chain (the mempool is not consulted). */
  public record Utxo(
      String txid,
      int vout,
      long amountSats,
      String address,
      String scriptHex,
      long height,
      boolean coinbase) {
    public Utxo {
      Hex.requireHash("txid", txid);
      Hex.requireHex("script_hex", scriptHex);
    }
  }

  /**
   * The answer to {@code send_transaction}: {@code txid} is null only when the bytes are not a
   * transaction; {@code reason} is null when accepted.
   */
  public record SendTransactionResult(String txid, boolean accepted, String reason) {
    public SendTransactionResult {
      if (txid != null) {
        Hex.requireHash("txid", txid);
      }
    }
  }

  public record MempoolEntry(String txid, long size, long feeSats, double feeRate) {
    public MempoolEntry {
      Hex.requireHash("txid", txid);
    }
  }

  public record MempoolTransactions(List<MempoolEntry> transactions) {
    public MempoolTransactions {
      transactions = List.copyOf(transactions);
    }
  }

  public record MempoolSize(long count, long bytes) {}

  public record FeeEstimate(int targetBlocks, double satPerVbyte) {}

  public record NetworkStats(
      int peerCount, int inbound, int outbound, long bytesSent, long bytesReceived) {}

  public record PeerInfo(long id, String address, boolean inbound, String userAgent) {
    public PeerInfo {
      Objects.requireNonNull(address, "address");
    }
  }

  public record NetworkPeers(List<PeerInfo> peers) {
    public NetworkPeers {
      peers = List.copyOf(peers);
    }
  }

  /**
   * What a miner needs to build a block on the tip (docs/simulation.md, "Block templates"): the
   * coinbase is {@code coinbase_prefix} + {@code extranonce_size} bytes of the miner's choice +
   * {@code coinbase_suffix}; folding its txid with {@code merkle_path} gives the merkle root.
   */
  public record BlockTemplate(
      String prevHash,
      long height,
      long bits,
      long coinbaseValue,
      List<String> txids,
      int version,
      long time,
      long minTime,
      String target,
      String coinbasePrefix,
      String coinbaseSuffix,
      int extranonceSize,
      List<String> merklePath,
      List<String> transactions) {
    public BlockTemplate {
      Hex.requireHash("prev_hash", prevHash);
      txids = List.copyOf(txids);
      Hex.requireHash("target", target);
      Hex.requireHex("coinbase_prefix", coinbasePrefix);
      Hex.requireHex("coinbase_suffix", coinbaseSuffix);
      if (extranonceSize < 0) {
        throw new IllegalArgumentException("extranonce_size must be >= 0, found " + extranonceSize);
      }
      merklePath = List.copyOf(merklePath);
      for (String h : merklePath) {
        Hex.requireHash("merkle_path", h);
      }
      transactions = List.copyOf(transactions);
    }

    /**
     * A template without a coinbase scheme (a miner cannot build a block from it): version
     * 0x20000000, times 0, all-zero target, empty coinbase parts, no merkle path and no transaction
     * data.
     */
    public BlockTemplate(
        String prevHash, long height, long bits, long coinbaseValue, List<String> txids) {
      this(
          prevHash,
          height,
          bits,
          coinbaseValue,
          txids,
          0x20000000,
          0,
          0,
          "00".repeat(32),
          "",
          "",
          0,
          List.of(),
          List.of());
    }
  }

  public record SubmitBlockResult(boolean accepted, String reason) {}

  /**
   * Mining state: {@code difficulty} relative to the compact target 0x1d00ffff, {@code
   * network_hash_rate} in hashes per second estimated from recent block times, {@code
   * blocks_submitted} the blocks accepted through {@code submit_block} since the node started.
   */
  public record MiningInfo(
      long height, long bits, double difficulty, double networkHashRate, long blocksSubmitted) {}

  public record Subscribed(List<String> events) {
    public Subscribed {
      events = List.copyOf(events);
    }
  }

  public record Published(int delivered) {}

  /**
   * The connection the node made (its descriptor comes with this answer): the address it connected
   * to (the one it checked: the node resolves a name once), the port, and the policy rule that
   * allowed it.
   */
  public record NetConnected(String address, int port, String rule) {
    public NetConnected {
      Objects.requireNonNull(address, "address");
      Objects.requireNonNull(rule, "rule");
    }
  }

  /** The listening socket handed over with this answer: its bound address and port. */
  public record NetListening(String address, int port) {
    public NetListening {
      Objects.requireNonNull(address, "address");
    }
  }

  public record ModuleInfo(String moduleId, String version, String state, List<String> methods) {
    public ModuleInfo {
      methods = List.copyOf(methods);
    }
  }

  public record Modules(List<ModuleInfo> modules) {
    public Modules {
      modules = List.copyOf(modules);
    }
  }
}
