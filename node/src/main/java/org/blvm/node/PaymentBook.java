package org.blvm.node;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import org.blvm.protocol.EventPayloads;
import org.blvm.protocol.EventType;

/**
 * Payment requests the node creates, and the payments the simulated world makes for them: a request
 * is paid (with probability {@code payment_paid_probability}) by a wallet transaction to its
 * address some time before it expires; the node settles it after {@code payment_confirmations} and
 * fails it at expiry when nothing was paid. Guarded by the chain's lock.
 */
final class PaymentBook {
  private static final String[] MEMOS = {
    "coffee", "invoice 2231", "hosting, one month", "donation", "book order", "refund"
  };

  /** A request: {@code payAtMillis} < 0 when nobody will pay it; {@code txid} once paid. */
  private static final class Request {
    final String id;
    final long amount;
    final Bytes script;
    final long expiresAt;
    final long payAtMillis;
    String txid;

    Request(String id, long amount, Bytes script, long expiresAt, long payAtMillis) {
      this.id = id;
      this.amount = amount;
      this.script = script;
      this.expiresAt = expiresAt;
      this.payAtMillis = payAtMillis;
    }
  }

  private final SimulationSettings settings;
  private final SplitMix64 random;
  private final EventOutbox out;
  private final ChainState chain;
  private final Map<String, Request> pending = new LinkedHashMap<>();
  private long next = 1;

  PaymentBook(SimulationSettings settings, SplitMix64 random, EventOutbox out, ChainState chain) {
    this.settings = settings;
    this.random = random;
    this.out = out;
    this.chain = chain;
  }

  int pending() {
    return pending.size();
  }

  /** A new request to a fresh address, unless {@code max_pending_payments} are outstanding. */
  void create() {
    if (pending.size() >= settings.maxPendingPayments()) {
      return;
    }
    String id = "pr-" + (next++);
    long amount = 1_000 * (10 + random.nextInt(2_000));
    Bytes script = Scripts.p2wpkh(random.nextBytes(20));
    String address = Scripts.address(chain.hrp(), script);
    long expiresAt = chain.nowSeconds() + settings.paymentExpirySeconds();
    long payAt = -1;
    if (random.chance(settings.paymentPaidProbability())) {
      double mean = settings.paymentDelaySeconds();
      double delay = mean <= 0 ? 0 : -mean * StrictMath.log(1.0 - random.nextDouble());
      delay = Math.min(delay, settings.paymentExpirySeconds() * 0.8);
      payAt = chain.nowMillis() + Math.round(delay * 1000);
    }
    pending.put(id, new Request(id, amount, script, expiresAt, payAt));
    String memo = MEMOS[random.nextInt(MEMOS.length)];
    out.emit(
        EventType.PaymentRequestCreated,
        new EventPayloads.PaymentRequestCreated(id, amount, memo, address, expiresAt));
  }

  /** Sends the payments that are due (a failed attempt is retried at the next step). */
  void payDue() {
    for (Request r : pending.values()) {
      if (r.txid == null
          && r.payAtMillis >= 0
          && r.payAtMillis <= chain.nowMillis()
          && chain.nowSeconds() < r.expiresAt) {
        r.txid = chain.wallet().pay(r.script, r.amount);
      }
    }
  }

  /**
   * PaymentSettled once the paying transaction has enough confirmations; PaymentFailed when it left
   * the mempool without confirming, or at expiry when nothing was paid.
   */
  void settle() {
    for (Iterator<Request> it = pending.values().iterator(); it.hasNext(); ) {
      Request r = it.next();
      if (r.txid != null) {
        if (chain.confirmations(r.txid) >= settings.paymentConfirmations()) {
          out.emit(EventType.PaymentSettled, new EventPayloads.PaymentSettled(r.id, r.amount));
          it.remove();
        } else if (chain.confirmations(r.txid) == 0 && !chain.mempool().contains(r.txid)) {
          out.emit(
              EventType.PaymentFailed,
              new EventPayloads.PaymentFailed(r.id, "payment transaction dropped"));
          it.remove();
        }
      } else if (chain.nowSeconds() >= r.expiresAt) {
        out.emit(EventType.PaymentFailed, new EventPayloads.PaymentFailed(r.id, "expired"));
        it.remove();
      }
    }
  }
}
