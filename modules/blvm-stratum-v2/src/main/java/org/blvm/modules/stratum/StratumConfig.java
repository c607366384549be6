package org.blvm.modules.stratum;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The module's settings: the manifest's {@code [config]} with the operator's overlaid
 * (docs/modules.md).
 *
 * @param listen the address whose listening socket the node bound for the module ({@code ip:port},
 *     as in the policy's {@code listen} list); read at start only
 * @param maxConnections miners connected at once (1–1024); one more is closed at once
 * @param maxChannels standard channels per connection (1–64)
 * @param shareZeroBits leading zero bits a share's hash needs at least (0–64), unless the network
 *     target is easier or the miner's {@code max_target} harder
 */
record StratumConfig(String listen, int maxConnections, int maxChannels, int shareZeroBits) {
  static final Set<String> KEYS =
      Set.of("listen", "max_connections", "max_channels", "share_zero_bits");
  private static final Pattern ADDRESS =
      Pattern.compile("(\\d{1,3}(\\.\\d{1,3}){3}|\\[[0-9a-fA-F:.]+\\]):\\d{1,5}");

  /** Thrown for a config the module cannot run with; the message lists every problem. */
  static final class InvalidConfigException extends Exception {
    private static final long serialVersionUID = 1L;

    InvalidConfigException(String message) {
      super(message);
    }
  }

  /** The target {@link #shareZeroBits} gives: 2^(256 − bits) − 1. */
  BigInteger shareTarget() {
    return BigInteger.ONE.shiftLeft(256 - shareZeroBits).subtract(BigInteger.ONE);
  }

  /** Reads and checks {@code config}; unknown keys are errors, like the rest of the project's. */
  static StratumConfig read(JsonNode config) throws InvalidConfigException {
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
    JsonNode l = config.path("listen");
    String listen = l.asText("");
    if (l.isMissingNode()) {
      problems.add("listen is missing (an address of the policy's listen list, \"0.0.0.0:3333\")");
    } else if (!l.isTextual() || !ADDRESS.matcher(listen).matches()) {
      problems.add("listen must be \"ip:port\" (\"0.0.0.0:3333\"), found " + l);
    }
    int maxConnections = integer(config, "max_connections", 32, 1, 1024, problems);
    int maxChannels = integer(config, "max_channels", 8, 1, 64, problems);
    int shareZeroBits = integer(config, "share_zero_bits", 8, 0, 64, problems);
    if (!problems.isEmpty()) {
      throw new InvalidConfigException(String.join("; ", problems));
    }
    return new StratumConfig(listen, maxConnections, maxChannels, shareZeroBits);
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
