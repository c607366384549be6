package org.blvm.modules.governance;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * The module's own settings: the manifest's {@code [config]} with the operator's overlaid
 * (docs/modules.md). Where to deliver is not here but in the node config's {@code [governance]}
 * section ({@link WebhookTarget}).
 *
 * @param statusEveryBlocks a status notification at every block whose height is a multiple of it
 *     (0: none; at most 100000)
 * @param maxOutbox notifications kept until acknowledged (1–100000); beyond it the oldest is
 *     dropped
 * @param backoffInitial the delay after the first failed attempt (10 ms–1 h)
 * @param backoffMax the largest delay between attempts (at least {@code backoffInitial}, at most 1
 *     h)
 * @param timeout for connecting, the TLS handshake and the receiver's answer (1–300 s)
 * @param caPem PEM certificates trusted for {@code https} instead of the system's, or empty
 */
record GovernanceConfig(
    int statusEveryBlocks,
    int maxOutbox,
    Duration backoffInitial,
    Duration backoffMax,
    Duration timeout,
    String caPem) {
  static final Set<String> KEYS =
      Set.of(
          "status_every_blocks",
          "max_outbox",
          "backoff_initial_ms",
          "backoff_max_ms",
          "timeout_seconds",
          "ca_pem");

  /** Thrown for a config the module cannot run with; the message lists every problem. */
  static final class InvalidConfigException extends Exception {
    private static final long serialVersionUID = 1L;

    InvalidConfigException(String message) {
      super(message);
    }
  }

  /** Reads and checks {@code config}; unknown keys are errors, like the rest of the project's. */
  static GovernanceConfig read(JsonNode config) throws InvalidConfigException {
    if (!config.isObject()) {
      throw new InvalidConfigException("config must be a table");
    }
    List<String> problems = new ArrayList<>();
    for (Iterator<String> it = config.fieldNames(); it.hasNext(); ) {
      String k = it.next();
      if (!KEYS.contains(k)) {
        problems.add(
            "unknown key \""
                + k
                + "\" (known: "
                + String.join(", ", KEYS.stream().sorted().toList())
                + ")");
      }
    }
    int every = integer(config, "status_every_blocks", 10, 0, 100_000, problems);
    int maxOutbox = integer(config, "max_outbox", 1000, 1, 100_000, problems);
    int initial = integer(config, "backoff_initial_ms", 500, 10, 3_600_000, problems);
    int max = integer(config, "backoff_max_ms", 60_000, 10, 3_600_000, problems);
    int timeout = integer(config, "timeout_seconds", 10, 1, 300, problems);
    if (max < initial) {
      problems.add(
          "backoff_max_ms ("
              + Integer.toString(max)
              + ") must be at least backoff_initial_ms ("
              + Integer.toString(initial)
              + ")");
    }
    JsonNode ca = config.path("ca_pem");
    String caPem = "";
    if (!ca.isMissingNode()) {
      if (!ca.isTextual() || !ca.asText().contains("-----BEGIN CERTIFICATE-----")) {
        problems.add("ca_pem must be a string of PEM certificates (-----BEGIN CERTIFICATE-----)");
      } else {
        try {
          WebhookClient.tls(ca.asText());
          caPem = ca.asText();
        } catch (java.security.GeneralSecurityException | java.io.IOException e) {
          problems.add("ca_pem holds no usable certificate: " + e.getMessage());
        }
      }
    }
    if (!problems.isEmpty()) {
      throw new InvalidConfigException(String.join("; ", problems));
    }
    return new GovernanceConfig(
        every,
        maxOutbox,
        Duration.ofMillis(initial),
        Duration.ofMillis(max),
        Duration.ofSeconds(timeout),
        caPem);
  }

  private static int integer(
      JsonNode config, String key, int dflt, int min, int max, List<String> problems) {
    JsonNode v = config.get(key);
    if (v == null) {
      return dflt;
    }
    if (!v.isIntegralNumber()
        || !v.canConvertToLong()
        || v.longValue() < min
        || v.longValue() > max) {
      problems.add(
          key
              + " must be an integer from "
              + Integer.toString(min)
              + " to "
              + Integer.toString(max)
              + ", found "
              + v);
      return dflt;
    }
    return v.intValue();
  }
}
