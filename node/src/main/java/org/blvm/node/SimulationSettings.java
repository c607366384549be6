package org.blvm.node;

import java.math.BigInteger;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
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
    int keepBlockBodies,
    int meshPeers) {

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
  private static final List<SettingKey> KEYS =
      List.of(
          SettingKey.integer("seed", Long.MIN_VALUE, Long.MAX_VALUE, 1),
          SettingKey.integer("step_millis", 10, 60_000, 100),
          SettingKey.integer("start_time", 0, 0xffffffffL - 366L * 86_400, 0),
          SettingKey.text("network", "regtest"),
          SettingKey.integer("target_bits", 0, 0xffffffffL, 0x207fffffL),
          SettingKey.integer("initial_blocks", 1, 1000, 10),
          SettingKey.number("block_interval_seconds", 0, 86_400, 10),
          SettingKey.number("reorg_probability", 0, 1, 0.05),
          SettingKey.integer("max_reorg_depth", 1, 6, 3),
          SettingKey.number("transactions_per_minute", 0, MAX_RATE, 120),
          SettingKey.number("replacement_probability", 0, 1, 0.05),
          SettingKey.number("fee_changes_per_minute", 0, MAX_RATE, 6),
          SettingKey.number("peer_changes_per_minute", 0, MAX_RATE, 4),
          SettingKey.number("messages_per_minute", 0, MAX_RATE, 60),
          SettingKey.number("payment_requests_per_minute", 0, MAX_RATE, 2),
          SettingKey.number("payment_paid_probability", 0, 1, 0.8),
          SettingKey.number("payment_delay_seconds", 0, 86_400, 20),
          SettingKey.integer("payment_expiry_seconds", 1, 86_400, 300),
          SettingKey.integer("payment_confirmations", 1, 100, 1),
          SettingKey.number("governance_events_per_minute", 0, MAX_RATE, 2),
          SettingKey.number("shares_per_minute", 0, MAX_RATE, 30),
          SettingKey.number("template_interval_seconds", 0, 3600, 5),
          SettingKey.integer("max_block_transactions", 1, 10_000, 200),
          SettingKey.integer("max_mempool_transactions", 10, 50_000, 2000),
          SettingKey.integer("initial_peers", 0, 1000, 8),
          SettingKey.integer("min_peers", 0, 1000, 2),
          SettingKey.integer("max_peers", 1, 1000, 16),
          SettingKey.integer("max_pending_payments", 1, 10_000, 64),
          SettingKey.integer("keep_block_bodies", 100, 1_000_000, 1000),
          SettingKey.integer("mesh_peers", 0, 64, 0));

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
              keepBlockBodies,
              meshPeers
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
    return SimulationSettingsReader.read(file);
  }

  /**
   * Parses node config TOML text and returns its {@code [simulation]} section. Strict: unknown
   * keys, wrong types and values out of range are errors, all reported at once; duplicate keys and
   * syntax errors are errors with their line. {@code source} names the text in messages.
   */
  public static SimulationSettings parse(String source, String toml)
      throws SimulationConfigException {
    return SimulationSettingsReader.parse(source, toml);
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
    for (SettingKey k : KEYS) {
      names.add(k.name);
    }
    return names;
  }

  /** Every key's default, by name in component order. */
  static Map<String, Object> defaults() {
    Map<String, Object> m = new LinkedHashMap<>();
    for (SettingKey k : KEYS) {
      m.put(k.name, k.defaultValue);
    }
    return m;
  }

  /** The settings of {@code v}: every key's value by name, in component order. */
  static SimulationSettings fromValues(Map<String, Object> v) {
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
        intOf(a[i++]),
        intOf(a[i]));
  }

  private static int intOf(Object o) {
    return Math.toIntExact((Long) o);
  }

  /** Range and cross-field checks of values in component order (ints as Integer or Long). */
  static List<SimulationConfigException.Problem> check(Object[] values) {
    List<SimulationConfigException.Problem> problems = new ArrayList<>();
    Map<String, Object> byName = new LinkedHashMap<>();
    for (int i = 0; i < KEYS.size(); i++) {
      SettingKey k = KEYS.get(i);
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

  /** The key named {@code name}, or null. */
  static SettingKey find(String name) {
    for (SettingKey k : KEYS) {
      if (k.name.equals(name)) {
        return k;
      }
    }
    return null;
  }

  /** A problem with {@code key} of the section. */
  static SimulationConfigException.Problem problem(String key, String message) {
    return new SimulationConfigException.Problem(SECTION + "." + key, 0, message);
  }
}
