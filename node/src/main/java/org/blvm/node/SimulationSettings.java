package org.blvm.node;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * How the simulated chain behaves: the {@code [simulation]} section of the node config
 * (docs/simulation.md lists every key, its default and its range). Rates are events per simulated
 * minute (0: never); probabilities are in [0, 1]. The constructor checks every value and names the
 * key of each bad one.
 *
 * @param seed seeds every random choice of the simulation
 * @param stepMillis simulated milliseconds per step (and real milliseconds between steps when the
 *     driver runs on its thread)
 * @param startTime Unix seconds of the simulated clock at startup; 0: the clock at construction
 * @param network {@code regtest}, {@code testnet}, {@code signet} or {@code mainnet}: address
 *     prefix, peer port and the name in NodeStartupCompleted
 * @param targetBits the compact proof-of-work target of every block
 */
public record SimulationSettings(
    long seed,
    int stepMillis,
    long startTime,
    String network,
    long targetBits,
    int initialBlocks,
    double blockIntervalSeconds,
    double reorgProbability,
    int maxReorgDepth,
    double transactionsPerMinute,
    double replacementProbability,
    double feeChangesPerMinute,
    double peerChangesPerMinute,
    double messagesPerMinute,
    double paymentRequestsPerMinute,
    double paymentPaidProbability,
    double paymentDelaySeconds,
    int paymentExpirySeconds,
    int paymentConfirmations,
    double governanceEventsPerMinute,
    double sharesPerMinute,
    double templateIntervalSeconds,
    int maxBlockTransactions,
    int maxMempoolTransactions,
    int initialPeers,
    int minPeers,
    int maxPeers,
    int maxPendingPayments,
    int keepBlockBodies) {

  /** The TOML table this record is read from. */
  public static final String SECTION = "simulation";

  /** Largest node config file read. */
  static final int MAX_FILE_BYTES = 1 << 20;

  /** The easiest target the simulation accepts needs at most 2^24 hashes per block on average. */
  static final BigInteger HARDEST_TARGET = BigInteger.ONE.shiftLeft(232);

  private static final double MAX_RATE = 60_000;

  /** The smallest start time (2001-09-09): the initial blocks' times stay positive. */
  static final long MIN_START_TIME = 1_000_000_000L;

  private static final Set<String> NETWORKS = Set.of("regtest", "testnet", "signet", "mainnet");

  /** Every key, in component order: name, kind, range, default. */
  private static final List<Key> KEYS =
      List.of(
          Key.integer("seed", Long.MIN_VALUE, Long.MAX_VALUE, 1),
          Key.integer("step_millis", 10, 60_000, 100),
          Key.integer("start_time", 0, 0xffffffffL - 366L * 86_400, 0),
          Key.text("network", "regtest"),
          Key.integer("target_bits", 0, 0xffffffffL, 0x207fffffL),
          Key.integer("initial_blocks", 1, 1000, 10),
          Key.number("block_interval_seconds", 0, 86_400, 10),
          Key.number("reorg_probability", 0, 1, 0.05),
          Key.integer("max_reorg_depth", 1, 6, 3),
          Key.number("transactions_per_minute", 0, MAX_RATE, 120),
          Key.number("replacement_probability", 0, 1, 0.05),
          Key.number("fee_changes_per_minute", 0, MAX_RATE, 6),
          Key.number("peer_changes_per_minute", 0, MAX_RATE, 4),
          Key.number("messages_per_minute", 0, MAX_RATE, 60),
          Key.number("payment_requests_per_minute", 0, MAX_RATE, 2),
          Key.number("payment_paid_probability", 0, 1, 0.8),
          Key.number("payment_delay_seconds", 0, 86_400, 20),
          Key.integer("payment_expiry_seconds", 1, 86_400, 300),
          Key.integer("payment_confirmations", 1, 100, 1),
          Key.number("governance_events_per_minute", 0, MAX_RATE, 2),
          Key.number("shares_per_minute", 0, MAX_RATE, 30),
          Key.number("template_interval_seconds", 0, 3600, 5),
          Key.integer("max_block_transactions", 1, 10_000, 200),
          Key.integer("max_mempool_transactions", 10, 50_000, 2000),
          Key.integer("initial_peers", 0, 1000, 8),
          Key.integer("min_peers", 0, 1000, 2),
          Key.integer("max_peers", 1, 1000, 16),
          Key.integer("max_pending_payments", 1, 10_000, 64),
          Key.integer("keep_block_bodies", 100, 1_000_000, 1000));

  /** The defaults of every key. */
  public static final SimulationSettings DEFAULTS = fromValues(defaults());

  public SimulationSettings {
    List<SimulationConfigException.Problem> problems =
        check(
            new Object[] {
              seed,
              stepMillis,
              startTime,
              network,
              targetBits,
              initialBlocks,
              blockIntervalSeconds,
              reorgProbability,
              maxReorgDepth,
              transactionsPerMinute,
              replacementProbability,
              feeChangesPerMinute,
              peerChangesPerMinute,
              messagesPerMinute,
              paymentRequestsPerMinute,
              paymentPaidProbability,
              paymentDelaySeconds,
              paymentExpirySeconds,
              paymentConfirmations,
              governanceEventsPerMinute,
              sharesPerMinute,
              templateIntervalSeconds,
              maxBlockTransactions,
              maxMempoolTransactions,
              initialPeers,
              minPeers,
              maxPeers,
              maxPendingPayments,
              keepBlockBodies
            });
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException(
          new SimulationConfigException("settings", problems).getMessage());
    }
  }

  /**
   * Reads the {@code [simulation]} section of the node config {@code file} (at most 1 MiB; other
   * sections are not looked at). A file without the section gives {@link #DEFAULTS}.
   */
  public static SimulationSettings read(Path file) throws SimulationConfigException {
    String source = file.toString();
    byte[] bytes;
    try (InputStream in = Files.newInputStream(file)) {
      bytes = in.readNBytes(MAX_FILE_BYTES + 1);
    } catch (NoSuchFileException e) {
      throw single(source, null, "the file does not exist");
    } catch (IOException e) {
      throw single(source, null, "cannot read it: " + e.getClass().getSimpleName());
    }
    if (bytes.length > MAX_FILE_BYTES) {
      throw single(source, null, "larger than the maximum of " + MAX_FILE_BYTES + " bytes");
    }
    return parse(source, new String(bytes, StandardCharsets.UTF_8));
  }

  /**
   * Parses node config TOML text and returns its {@code [simulation]} section. Strict: unknown
   * keys, wrong types and values out of range are errors, all reported at once; duplicate keys and
   * syntax errors are errors with their line. {@code source} names the text in messages.
   */
  public static SimulationSettings parse(String source, String toml)
      throws SimulationConfigException {
    JsonNode root;
    try {
      root = new TomlMapper().readTree(toml);
    } catch (JacksonException e) {
      // the original message: getMessage() would quote the source text
      String msg = e.getOriginalMessage();
      if (msg != null && msg.length() > 200) {
        msg = msg.substring(0, 200);
      }
      throw new SimulationConfigException(
          source,
          List.of(new SimulationConfigException.Problem(null, line(e), "not valid TOML: " + msg)));
    }
    JsonNode section = root == null ? null : root.get(SECTION);
    if (section == null) {
      return DEFAULTS;
    }
    List<SimulationConfigException.Problem> problems = new ArrayList<>();
    if (!section.isObject()) {
      throw single(source, SECTION, "must be a table ([simulation]), found " + kind(section));
    }
    Map<String, Object> values = defaults();
    Iterator<Map.Entry<String, JsonNode>> fields = section.fields();
    while (fields.hasNext()) {
      Map.Entry<String, JsonNode> f = fields.next();
      Key key = find(f.getKey());
      if (key == null) {
        problems.add(
            problem(f.getKey(), "unknown key; allowed here: " + String.join(", ", names())));
        continue;
      }
      Object v = key.read(f.getValue());
      if (v == null) {
        problems.add(problem(key.name, key.typeError(f.getValue())));
      } else {
        values.put(key.name, v);
      }
    }
    if (problems.isEmpty()) {
      problems.addAll(check(values.values().toArray()));
    }
    if (!problems.isEmpty()) {
      throw new SimulationConfigException(source, problems);
    }
    return fromValues(values);
  }

  /** The target {@link #targetBits()} encodes. */
  BigInteger target() {
    return CompactTarget.decode(targetBits);
  }

  /** The bech32 human-readable part of {@link #network()}. */
  String addressPrefix() {
    switch (network) {
      case "mainnet":
        return "bc";
      case "regtest":
        return "bcrt";
      default:
        return "tb";
    }
  }

  int defaultPort() {
    switch (network) {
      case "mainnet":
        return 8333;
      case "testnet":
        return 18333;
      case "signet":
        return 38333;
      default:
        return 18444;
    }
  }

  static List<String> names() {
    List<String> names = new ArrayList<>();
    for (Key k : KEYS) {
      names.add(k.name);
    }
    return names;
  }

  private static Map<String, Object> defaults() {
    Map<String, Object> m = new LinkedHashMap<>();
    for (Key k : KEYS) {
      m.put(k.name, k.defaultValue);
    }
    return m;
  }

  private static SimulationSettings fromValues(Map<String, Object> v) {
    Object[] a = v.values().toArray();
    int i = 0;
    return new SimulationSettings(
        (Long) a[i++],
        intOf(a[i++]),
        (Long) a[i++],
        (String) a[i++],
        (Long) a[i++],
        intOf(a[i++]),
        (Double) a[i++],
        (Double) a[i++],
        intOf(a[i++]),
        (Double) a[i++],
        (Double) a[i++],
        (Double) a[i++],
        (Double) a[i++],
        (Double) a[i++],
        (Double) a[i++],
        (Double) a[i++],
        (Double) a[i++],
        intOf(a[i++]),
        intOf(a[i++]),
        (Double) a[i++],
        (Double) a[i++],
        (Double) a[i++],
        intOf(a[i++]),
        intOf(a[i++]),
        intOf(a[i++]),
        intOf(a[i++]),
        intOf(a[i++]),
        intOf(a[i++]),
        intOf(a[i]));
  }

  private static int intOf(Object o) {
    return Math.toIntExact((Long) o);
  }

  /** Range and cross-field checks of values in component order (ints as Integer or Long). */
  private static List<SimulationConfigException.Problem> check(Object[] values) {
    List<SimulationConfigException.Problem> problems = new ArrayList<>();
    Map<String, Object> byName = new LinkedHashMap<>();
    for (int i = 0; i < KEYS.size(); i++) {
      Key k = KEYS.get(i);
      Object v = values[i];
      byName.put(k.name, v);
      String bad = k.rangeError(v);
      if (bad != null) {
        problems.add(problem(k.name, bad));
      }
    }
    String network = (String) byName.get("network");
    if (network != null && !NETWORKS.contains(network)) {
      problems.add(
          problem(
              "network",
              "must be one of mainnet, regtest, signet, testnet, found \"" + network + "\""));
    }
    long bits = ((Number) byName.get("target_bits")).longValue();
    BigInteger target = CompactTarget.decode(bits);
    if (target == null) {
      problems.add(
          problem(
              "target_bits",
              "0x" + Long.toHexString(bits) + " is not a valid compact target (negative or zero)"));
    } else if (target.compareTo(HARDEST_TARGET) < 0) {
      problems.add(
          problem(
              "target_bits",
              "0x"
                  + Long.toHexString(bits)
                  + " is too hard for the simulation to mine (it needs at most 2^24 hashes per"
                  + " block on average; 0x1e00ffff is about the hardest allowed)"));
    }
    long start = ((Number) byName.get("start_time")).longValue();
    if (start > 0 && start < MIN_START_TIME) {
      problems.add(
          problem(
              "start_time",
              "must be 0 (the clock at startup) or at least "
                  + MIN_START_TIME
                  + ", found "
                  + Long.toString(start)));
    }
    double interval = ((Number) byName.get("block_interval_seconds")).doubleValue();
    if (interval > 0 && interval < 0.1) {
      problems.add(
          problem(
              "block_interval_seconds",
              "must be 0 (no simulated blocks) or at least 0.1, found " + interval));
    }
    int minPeers = ((Number) byName.get("min_peers")).intValue();
    int initialPeers = ((Number) byName.get("initial_peers")).intValue();
    int maxPeers = ((Number) byName.get("max_peers")).intValue();
    if (minPeers > maxPeers) {
      problems.add(
          problem(
              "min_peers",
              "must be at most max_peers (" + maxPeers + "), found " + Integer.toString(minPeers)));
    }
    if (initialPeers > maxPeers) {
      problems.add(
          problem(
              "initial_peers",
              "must be at most max_peers ("
                  + maxPeers
                  + "), found "
                  + Integer.toString(initialPeers)));
    }
    return problems;
  }

  private static Key find(String name) {
    for (Key k : KEYS) {
      if (k.name.equals(name)) {
        return k;
      }
    }
    return null;
  }

  private static SimulationConfigException.Problem problem(String key, String message) {
    return new SimulationConfigException.Problem(SECTION + "." + key, 0, message);
  }

  private static SimulationConfigException single(String source, String key, String message) {
    return new SimulationConfigException(
        source, List.of(new SimulationConfigException.Problem(key, 0, message)));
  }

  private static int line(JacksonException e) {
    JsonLocation loc = e.getLocation();
    if (loc == null || loc.getLineNr() < 1) {
      return 0;
    }
    // after a complete value the lexer stops at the start of the next line
    return loc.getColumnNr() <= 1 && loc.getLineNr() > 1 ? loc.getLineNr() - 1 : loc.getLineNr();
  }

  private static String kind(JsonNode n) {
    if (n.isObject()) {
      return "a table";
    } else if (n.isArray()) {
      return "an array";
    } else if (n.isTextual()) {
      return "a string";
    } else if (n.isBoolean()) {
      return "a boolean";
    } else if (n.isIntegralNumber()) {
      return "an integer";
    } else if (n.isNumber()) {
      return "a float";
    }
    return n.getNodeType().toString().toLowerCase(Locale.ROOT);
  }

  /** One key: its TOML name, kind, range and default. */
  private static final class Key {
    enum Kind {
      INTEGER,
      NUMBER,
      TEXT
    }

    final String name;
    final Kind kind;
    final double min;
    final double max;
    final long minLong;
    final long maxLong;
    final Object defaultValue;

    private Key(String name, Kind kind, double min, double max, long minL, long maxL, Object dflt) {
      this.name = name;
      this.kind = kind;
      this.min = min;
      this.max = max;
      this.minLong = minL;
      this.maxLong = maxL;
      this.defaultValue = dflt;
    }

    static Key integer(String name, long min, long max, long dflt) {
      return new Key(name, Kind.INTEGER, 0, 0, min, max, dflt);
    }

    static Key number(String name, double min, double max, double dflt) {
      return new Key(name, Kind.NUMBER, min, max, 0, 0, dflt);
    }

    static Key text(String name, String dflt) {
      return new Key(name, Kind.TEXT, 0, 0, 0, 0, dflt);
    }

    /** The value of a TOML node, or null when its type is wrong. */
    Object read(JsonNode n) {
      switch (kind) {
        case INTEGER:
          return n.isIntegralNumber() && n.canConvertToLong() ? n.longValue() : null;
        case NUMBER:
          return n.isNumber() && (!n.isIntegralNumber() || n.canConvertToLong())
              ? n.doubleValue()
              : null;
        default:
          return n.isTextual() ? n.textValue() : null;
      }
    }

    String typeError(JsonNode n) {
      String want;
      switch (kind) {
        case INTEGER:
          want = "an integer";
          break;
        case NUMBER:
          want = "a number";
          break;
        default:
          want = "a string";
      }
      String found = kind(n);
      if (n.isIntegralNumber() && !n.canConvertToLong()) {
        found = "an integer beyond 64 bits";
      }
      return "must be " + want + ", found " + found;
    }

    String rangeError(Object v) {
      if (v == null) {
        return "must be set";
      }
      switch (kind) {
        case INTEGER:
          long l = ((Number) v).longValue();
          return l < minLong || l > maxLong
              ? "must be in "
                  + Long.toString(minLong)
                  + ".."
                  + Long.toString(maxLong)
                  + ", found "
                  + Long.toString(l)
              : null;
        case NUMBER:
          double d = ((Number) v).doubleValue();
          return !(d >= min && d <= max)
              ? "must be a number in " + plain(min) + ".." + plain(max) + ", found " + plain(d)
              : null;
        default:
          return null;
      }
    }

    private static String plain(double d) {
      return d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d) : Double.toString(d);
    }
  }
}
