package org.blvm.modules.lightning;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Objects;

/**
 * Where one payment request stands, as the module stored and reported it.
 *
 * @param requestId the node's request id
 * @param address the address the request asks to be paid to
 * @param amountSats the amount asked for
 * @param expiresAt Unix seconds; compared with block times (the node's clock as blocks carry it)
 * @param state where it stands
 * @param txid the paying transaction once one was seen, else null
 * @param blockHash the main-chain block holding {@code txid}, else null
 * @param height that block's height, -1 without one
 * @param confirmations blocks on top of and including that block (0 without one)
 * @param reason why it failed, or why it went back to pending; null otherwise
 * @param transitions how many state changes were reported for it (the report's sequence number)
 */
record Payment(
    String requestId,
    String address,
    long amountSats,
    long expiresAt,
    State state,
    String txid,
    String blockHash,
    long height,
    long confirmations,
    String reason,
    long transitions) {

  /** The states of a request; only changes between them are reported. */
  enum State {
    /** Nothing paying it seen yet. */
    WAITING,
    /** A paying transaction was seen, with fewer confirmations than configured. */
    PENDING,
    /** The paying transaction has the configured confirmations. */
    SETTLED,
    /** Expired unpaid, or its paying transaction left the mempool unconfirmed. Final. */
    FAILED
  }

  Payment {
    Objects.requireNonNull(requestId, "request_id");
    Objects.requireNonNull(address, "address");
    Objects.requireNonNull(state, "state");
  }

  /** A new request: nothing seen yet. */
  static Payment waiting(String requestId, String address, long amountSats, long expiresAt) {
    return new Payment(
        requestId, address, amountSats, expiresAt, State.WAITING, null, null, -1, 0, null, 0);
  }

  /** Whether nothing can happen to it any more in this module's eyes. */
  boolean isFailed() {
    return state == State.FAILED;
  }

  /** The paying transaction seen, not (or no longer) in a main-chain block. */
  Payment unconfirmed(String tx, String why) {
    return with(state, tx, null, -1, 0, why, transitions);
  }

  /** The paying transaction in a main-chain block. */
  Payment confirmedIn(String tx, String block, long blockHeight) {
    return with(state, tx, block, blockHeight, confirmations, reason, transitions);
  }

  Payment withConfirmations(long c) {
    return with(state, txid, blockHash, height, c, reason, transitions);
  }

  /** The same payment in state {@code next}, for the reason {@code why} (may be null). */
  Payment inState(State next, String why) {
    return with(next, txid, blockHash, height, confirmations, why, transitions);
  }

  Payment withTransitions(long n) {
    return with(state, txid, blockHash, height, confirmations, reason, n);
  }

  /** This request with another standing. */
  private Payment with(State s, String tx, String block, long h, long c, String why, long n) {
    return new Payment(requestId, address, amountSats, expiresAt, s, tx, block, h, c, why, n);
  }

  /** The stored (and published) form: snake_case keys, every key present. */
  ObjectNode toJson() {
    ObjectNode o = JsonNodeFactory.instance.objectNode();
    o.put("request_id", requestId);
    o.put("address", address);
    o.put("amount_sats", amountSats);
    o.put("expires_at", expiresAt);
    o.put("state", state.name().toLowerCase(java.util.Locale.ROOT));
    o.put("txid", txid);
    o.put("block_hash", blockHash);
    o.put("height", height);
    o.put("confirmations", confirmations);
    o.put("reason", reason);
    o.put("transition", transitions);
    return o;
  }

  /** Reads {@link #toJson()}'s form; IllegalArgumentException naming what is wrong. */
  static Payment fromJson(JsonNode o) {
    if (!o.isObject()) {
      throw new IllegalArgumentException("a payment is not an object");
    }
    String stateName = text(o, "state", false);
    State s;
    try {
      s = State.valueOf(stateName.toUpperCase(java.util.Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("unknown payment state \"" + stateName + "\"", e);
    }
    return new Payment(
        text(o, "request_id", false),
        text(o, "address", false),
        number(o, "amount_sats"),
        number(o, "expires_at"),
        s,
        text(o, "txid", true),
        text(o, "block_hash", true),
        number(o, "height"),
        number(o, "confirmations"),
        text(o, "reason", true),
        number(o, "transition"));
  }

  private static String text(JsonNode o, String key, boolean nullable) {
    JsonNode v = o.get(key);
    if (v != null && v.isTextual() && v.textValue().length() <= 256) {
      return v.textValue();
    }
    if (nullable && v != null && v.isNull()) {
      return null;
    }
    throw new IllegalArgumentException(
        key + " must be " + (nullable ? "null or " : "") + "a string of at most 256 characters");
  }

  private static long number(JsonNode o, String key) {
    JsonNode v = o.get(key);
    if (v == null || !v.isIntegralNumber() || !v.canConvertToLong()) {
      throw new IllegalArgumentException(key + " must be an integer");
    }
    return v.longValue();
  }
}
