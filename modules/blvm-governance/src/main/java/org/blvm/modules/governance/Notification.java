package org.blvm.modules.governance;

import java.nio.charset.StandardCharsets;

/**
 * One notification in the outbox.
 *
 * @param seq its place in the outbox (delivery order)
 * @param key the idempotency key, fixed when it was queued: every attempt sends the same one
 * @param type what it reports ({@code EconomicNodeRegistered}, …, {@code status})
 * @param body the JSON document posted, exactly as signed
 */
record Notification(long seq, String key, String type, String body) {
  byte[] bodyBytes() {
    return body.getBytes(StandardCharsets.UTF_8);
  }
}
