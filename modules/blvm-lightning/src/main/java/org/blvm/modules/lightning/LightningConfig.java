package org.blvm.modules.lightning;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * The module's settings: the manifest's {@code [config]} with the operator's overlaid
 * (docs/modules.md).
 *
 * @param provider which {@link SettlementProvider} decides settlement; only {@code "onchain"}
 * @param confirmations confirmations of the paying transaction before a payment is settled (1–100)
 * @param finalDepth confirmations after which a settled payment is no longer watched for a reorg
 *     and leaves the state file (at least {@code confirmations}, at most 1000)
 * @param maxPayments how many payments the module watches at once (1–100000); a request beyond it
 *     is refused with a warning
 */
record LightningConfig(String provider, int confirmations, int finalDepth, int maxPayments) {
  static final Set<String> KEYS =
      Set.of("provider", "confirmations", "final_depth", "max_payments");

  /** Thrown for a config the module cannot run with; the message lists every problem. */
  static final class InvalidConfigException extends Exception {
    private static final long serialVersionUID = 1L;

    InvalidConfigException(String message) {
      super(message);
    }
  }

  /** Reads and checks {@code config}; unknown keys are errors, like the rest of the project's. */
  static LightningConfig read(JsonNode config) throws InvalidConfigException {
    List<String> problems = new ArrayList<>();
    if (!config.isObject()) {
      throw new InvalidConfigException("config must be a table");
    }
    for (Iterator<String> it = config.fieldNames(); it.hasNext(); ) {
      String k = it.next();
      if (!KEYS.contains(k)) {
        problems.add("unknown key \"" + k + "\" (known: " + String.join(", ", sorted()) + ")");
      }
    }
    JsonNode p = config.path("provider");
    String provider = p.isMissingNode() ? "onchain" : p.asText("");
    if (!p.isMissingNode() && !p.isTextual()) {
      problems.add("provider must be a string");
    } else if (!provider.equals("onchain")) {
      problems.add("provider \"" + provider + "\" is not available (available: onchain)");
    }
    int confirmations = integer(config, "confirmations", 1, 1, 100, problems);
    int finalDepth = integer(config, "final_depth", 6, 1, 1000, problems);
    int maxPayments = integer(config, "max_payments", 1000, 1, 100_000, problems);
    if (finalDepth < confirmations) {
      problems.add(
          "final_depth ("
              + finalDepth
              + ") must be at least confirmations ("
              + confirmations
              + ")");
    }
    if (!problems.isEmpty()) {
      throw new InvalidConfigException(String.join("; ", problems));
    }
    return new LightningConfig(provider, confirmations, finalDepth, maxPayments);
  }

  private static List<String> sorted() {
    return KEYS.stream().sorted().toList();
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
