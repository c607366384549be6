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

  public record Transaction(String txid, String blockHash, long size, String rawHex) {
    public Transaction {
      Hex.requireHash("txid", txid);
      if (blockHash != null) {
        Hex.requireHash("block_hash", blockHash);
      }
      Hex.requireHex("raw_hex", rawHex);
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

  public record BlockTemplate(
      String prevHash, long height, long bits, long coinbaseValue, List<String> txids) {
    public BlockTemplate {
      Hex.requireHash("prev_hash", prevHash);
      txids = List.copyOf(txids);
    }
  }

  public record SubmitBlockResult(boolean accepted, String reason) {}

  public record Subscribed(List<String> events) {
    public Subscribed {
      events = List.copyOf(events);
    }
  }

  public record Published(int delivered) {}

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
