package org.blvm.protocol;

import java.util.List;
import java.util.Objects;

/**
 * Typed payloads of the core events ({@link EventType}). On the wire each is a CBOR map with the
 * snake_case component names as keys.
 */
public final class EventPayloads {
  private EventPayloads() {}

  // blockchain
  public record NewBlock(String hash, long height, String prevHash, long time, int txCount) {
    public NewBlock {
      Hex.requireHash("hash", hash);
      Hex.requireHash("prev_hash", prevHash);
    }
  }

  public record BlockDisconnected(String hash, long height) {
    public BlockDisconnected {
      Hex.requireHash("hash", hash);
    }
  }

  public record ChainReorg(String oldTip, String newTip, String forkPoint, int depth) {
    public ChainReorg {
      Hex.requireHash("old_tip", oldTip);
      Hex.requireHash("new_tip", newTip);
      Hex.requireHash("fork_point", forkPoint);
    }
  }

  public record BlockValidationStarted(String hash, long height) {
    public BlockValidationStarted {
      Hex.requireHash("hash", hash);
    }
  }

  public record BlockValidationCompleted(String hash, long height, boolean valid, String reason) {
    public BlockValidationCompleted {
      Hex.requireHash("hash", hash);
    }
  }

  // mempool
  public record MempoolTransactionAdded(String txid, long size, long feeSats, double feeRate) {
    public MempoolTransactionAdded {
      Hex.requireHash("txid", txid);
    }
  }

  public record MempoolTransactionRemoved(String txid, String reason) {
    public MempoolTransactionRemoved {
      Hex.requireHash("txid", txid);
      Objects.requireNonNull(reason, "reason");
    }
  }

  public record FeeRateChanged(double oldSatPerVbyte, double newSatPerVbyte) {}

  // network
  public record PeerConnected(long peerId, String address, boolean inbound) {
    public PeerConnected {
      Objects.requireNonNull(address, "address");
    }
  }

  public record PeerDisconnected(long peerId, String reason) {
    public PeerDisconnected {
      Objects.requireNonNull(reason, "reason");
    }
  }

  /**
   * A network message from a peer: {@code size} is its payload's length in bytes, {@code
   * payload_hex} its payload (null when the node does not pass it on; at most {@link
   * #MAX_MESSAGE_PAYLOAD_HEX} characters, and shorter than {@code 2 * size} when the payload was
   * cut to that bound).
   */
  public record MessageReceived(long peerId, String command, long size, String payloadHex) {
    public MessageReceived {
      Objects.requireNonNull(command, "command");
      if (payloadHex != null) {
        Hex.requireHex("payload_hex", payloadHex, MAX_MESSAGE_PAYLOAD_HEX);
      }
    }

    /** A message whose payload the node does not pass on. */
    public MessageReceived(long peerId, String command, long size) {
      this(peerId, command, size, null);
    }
  }

  /** Upper bound of {@link MessageReceived#payloadHex()}: 4,096 payload bytes. */
  public static final int MAX_MESSAGE_PAYLOAD_HEX = 8192;

  // module lifecycle
  public record ModuleLoaded(String moduleId, String version) {
    public ModuleLoaded {
      Objects.requireNonNull(moduleId, "module_id");
    }
  }

  public record ModuleUnloaded(String moduleId, String reason) {
    public ModuleUnloaded {
      Objects.requireNonNull(moduleId, "module_id");
    }
  }

  public record ModuleCrashed(String moduleId, Integer exitCode, String reason) {
    public ModuleCrashed {
      Objects.requireNonNull(moduleId, "module_id");
    }
  }

  public record ModuleStateChanged(String moduleId, String oldState, String newState) {
    public ModuleStateChanged {
      Objects.requireNonNull(moduleId, "module_id");
    }
  }

  // delivery
  /**
   * Takes the place of events the node dropped from this connection's queue (overflow rule {@code
   * drop_oldest}): events {@code first_seq} … {@code last_seq}, {@code count} of them, were never
   * sent. Sent to every module whose events were dropped, subscribed or not; its own {@code seq} is
   * {@code last_seq}, so sequence numbers stay contiguous across it.
   */
  public record EventsDropped(long count, long firstSeq, long lastSeq) {
    public EventsDropped {
      if (count < 1 || firstSeq < 1 || lastSeq < firstSeq) {
        throw new IllegalArgumentException(
            "EventsDropped needs count >= 1 and 1 <= first_seq <= last_seq, found "
                + count
                + ", "
                + firstSeq
                + ", "
                + lastSeq);
      }
    }
  }

  // configuration
  /** {@code config_json} holds only what the module may read; null when nothing is visible. */
  public record ConfigLoaded(List<String> changedSections, String configJson) {
    public ConfigLoaded {
      changedSections = List.copyOf(changedSections);
    }
  }

  // governance
  public record GovernanceProposalCreated(String proposalId, String title) {
    public GovernanceProposalCreated {
      Objects.requireNonNull(proposalId, "proposal_id");
    }
  }

  public record EconomicNodeRegistered(String nodeId, String name) {
    public EconomicNodeRegistered {
      Objects.requireNonNull(nodeId, "node_id");
    }
  }

  public record EconomicNodeVeto(String proposalId, String nodeId) {
    public EconomicNodeVeto {
      Objects.requireNonNull(proposalId, "proposal_id");
      Objects.requireNonNull(nodeId, "node_id");
    }
  }

  // payments
  /**
   * A payment request: {@code address} is the on-chain address to pay (null when it cannot be paid
   * on chain), {@code expires_at} the Unix time in seconds after which a payment is no longer
   * expected (0: no expiry), on the clock of block header times.
   */
  public record PaymentRequestCreated(
      String requestId, long amountSats, String memo, String address, long expiresAt) {
    public PaymentRequestCreated {
      Objects.requireNonNull(requestId, "request_id");
    }

    /** A request without an on-chain address and without expiry. */
    public PaymentRequestCreated(String requestId, long amountSats, String memo) {
      this(requestId, amountSats, memo, null, 0);
    }
  }

  public record PaymentSettled(String requestId, long amountSats) {
    public PaymentSettled {
      Objects.requireNonNull(requestId, "request_id");
    }
  }

  public record PaymentFailed(String requestId, String reason) {
    public PaymentFailed {
      Objects.requireNonNull(requestId, "request_id");
    }
  }

  // mining
  public record BlockTemplateUpdated(String prevHash, long height, int txCount) {
    public BlockTemplateUpdated {
      Hex.requireHash("prev_hash", prevHash);
    }
  }

  public record MiningJobCreated(String jobId, String prevHash, long height) {
    public MiningJobCreated {
      Objects.requireNonNull(jobId, "job_id");
      Hex.requireHash("prev_hash", prevHash);
    }
  }

  public record ShareSubmitted(String jobId, double difficulty, boolean accepted) {
    public ShareSubmitted {
      Objects.requireNonNull(jobId, "job_id");
    }
  }

  // node lifecycle
  public record NodeStartupCompleted(String network, long height) {}

  public record NodeShutdown(String reason) {}
}
