package org.blvm.policy;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.blvm.protocol.Capability;

/**
 * The operator's policy file (TOML): which keys are trusted to sign modules, how many signatures a
 * module needs, and what each module may do. Parsed strictly (unknown keys, duplicate keys, wrong
 * types and out-of-range values are errors naming the key and its line), validated as a whole (all
 * problems reported at once), then frozen. The reference is docs/policy.md.
 *
 * <p>Each table has its own parser: {@link TrustedKeysTable} ({@code [[keys]]}, {@code revoked}),
 * {@link ModuleTable} ({@code [defaults]}, {@code [modules.NAME]}), {@link IndexTrust} ({@code
 * [index]}), all reporting to one {@link PolicyProblems}.
 */
public final class Policy {
  /** Largest accepted policy file. */
  public static final int MAX_BYTES = 256 * 1024;

  /** Most trusted keys, and the highest threshold. */
  public static final int MAX_KEYS = 64;

  /** Highest {@code data_files}: the loader walks every entry, so it bounds a walk's length. */
  public static final int MAX_DATA_FILES = 10_000_000;

  private static final Set<String> ROOT_KEYS =
      new TreeSet<>(
          List.of(
              "threshold",
              "keys",
              "revoked",
              "defaults",
              "modules",
              "index",
              "auto_upgrade_interval_seconds"));

  /** {@code auto_upgrade_interval_seconds} when the policy does not set it. */
  public static final int DEFAULT_AUTO_UPGRADE_INTERVAL_SECONDS = 300;

  /** The bounds of {@code auto_upgrade_interval_seconds}: 10 s to a day. */
  public static final int MIN_AUTO_UPGRADE_INTERVAL_SECONDS = 10;

  public static final int MAX_AUTO_UPGRADE_INTERVAL_SECONDS = 86_400;

  private final String source;
  private final List<TrustedKey> keys;
  private final Set<KeyId> revoked;
  private final int threshold;
  private final ModulePolicy defaults;
  private final Map<String, ModulePolicy> modules;
  private final IndexTrust index;
  private final int autoUpgradeIntervalSeconds;

  private Policy(
      String source,
      List<TrustedKey> keys,
      Set<KeyId> revoked,
      int threshold,
      ModulePolicy defaults,
      Map<String, ModulePolicy> modules,
      IndexTrust index,
      int autoUpgradeIntervalSeconds) {
    this.source = source;
    this.keys = List.copyOf(keys);
    this.revoked = Set.copyOf(revoked);
    this.threshold = threshold;
    this.defaults = defaults;
    this.modules = Collections.unmodifiableMap(new LinkedHashMap<>(modules));
    this.index = index;
    this.autoUpgradeIntervalSeconds = autoUpgradeIntervalSeconds;
  }

  /**
   * A policy that trusts exactly {@code keys} and allows every capability (with {@code drop}), any
   * module-to-module call, no rate limit and no restarts: for checking signatures and pins against
   * given public keys, as {@code blvm-sign verify -p} does, and for tests and the demo.
   */
  public static Policy trusting(List<MinisignPublicKey> keys, int threshold) {
    List<TrustedKey> tk = new ArrayList<>();
    for (MinisignPublicKey k : keys) {
      tk.add(new TrustedKey(k.keyId().toString(), k, null, null));
    }
    // Trusting the keys means trusting the modules: any module may call any other, no rate limit;
    // a failed module is not restarted (what failed stays visible).
    ModulePolicy d =
        ModuleTable.builtIn(
            threshold,
            EnumSet.allOf(Capability.class),
            "command line keys",
            Set.of(ModulePolicy.ANY_MODULE),
            RateLimit.UNLIMITED,
            new RestartRule(RestartRule.Mode.NEVER, 0, 600, 1000, 60_000));
    return new Policy(
        "command line",
        tk,
        Set.of(),
        threshold,
        d,
        Map.of(),
        IndexTrust.NONE,
        DEFAULT_AUTO_UPGRADE_INTERVAL_SECONDS);
  }

  /**
   * Reads and validates a policy file (at most {@link #MAX_BYTES}; symlinks are followed).
   *
   * @throws PolicyException listing every problem in the file's content
   * @throws IOException when the file cannot be read: {@link NoSuchFileException} when it does not
   *     exist, a {@link FileSystemException} when it is not a regular file
   */
  public static Policy read(Path file) throws PolicyException, IOException {
    byte[] bytes;
    if (!Files.isRegularFile(file)) {
      // the file cannot be read at all: an I/O problem, not a problem in a policy
      if (!Files.exists(file)) {
        throw new NoSuchFileException(file.toString());
      }
      throw new FileSystemException(file.toString(), null, "not a regular file");
    }
    try (InputStream in = Files.newInputStream(file)) {
      bytes = in.readNBytes(MAX_BYTES + 1);
    }
    return parse(file.toString(), bytes);
  }

  /** Parses and validates policy bytes; {@code source} names them in messages. */
  public static Policy parse(String source, byte[] bytes) throws PolicyException {
    TomlLines tomlLines = new TomlLines(new String(bytes, StandardCharsets.UTF_8));
    PolicyProblems p = new PolicyProblems(source, tomlLines);
    if (bytes.length > MAX_BYTES) {
      p.add(null, "larger than the maximum of " + MAX_BYTES + " bytes");
      throw p.exception();
    }
    JsonNode root;
    try {
      root = new TomlMapper().readTree(bytes);
    } catch (JacksonException e) {
      String msg = e.getOriginalMessage();
      if (tomlLines.firstDuplicate() != null
          && (msg.startsWith("Duplicate key") || msg.startsWith("Table redefined"))) {
        p.list.add(
            new PolicyException.Problem(
                tomlLines.firstDuplicate(),
                tomlLines.firstDuplicateLine(),
                "defined twice (" + msg + ")"));
      } else {
        p.list.add(
            new PolicyException.Problem(
                null, TomlLines.errorLine(e.getLocation()), "not valid TOML: " + msg));
      }
      throw p.exception();
    } catch (IOException e) {
      p.add(null, "cannot read: " + e.getMessage());
      throw p.exception();
    }
    if (root == null || !root.isObject() || root.isEmpty()) {
      p.add(null, "empty policy");
      throw p.exception();
    }
    if (TomlDepth.exceeded(root)) {
      p.add(null, TomlDepth.problem());
      throw p.exception();
    }
    p.unknownKeys(root, "", ROOT_KEYS);
    int threshold = p.integer(root, "threshold", "threshold", 1, MAX_KEYS, 1);

    List<TrustedKey> keys = TrustedKeysTable.keyList(p, root.get("keys"), "keys");
    Set<KeyId> revoked = TrustedKeysTable.revoked(p, root);
    long usable = keys.stream().filter(k -> !revoked.contains(k.keyId())).count();
    if (!keys.isEmpty() && usable < threshold) {
      p.add(
          "threshold", "is " + threshold + " but only " + usable + " trusted keys are not revoked");
    }
    ModulePolicy defaults =
        ModuleTable.defaults(
            p,
            root.get("defaults"),
            ModuleTable.builtIn(threshold, Set.of(), "defaults"),
            usable,
            keys.isEmpty());
    Map<String, ModulePolicy> modules =
        ModuleTable.modules(p, root.get("modules"), defaults, usable, keys.isEmpty());
    NetworkSection.checkListenAcrossModules(p, modules);
    IndexTrust index = IndexTrust.parse(p, root.get("index"), revoked);
    int autoUpgradeInterval =
        p.integer(
            root,
            "auto_upgrade_interval_seconds",
            "auto_upgrade_interval_seconds",
            MIN_AUTO_UPGRADE_INTERVAL_SECONDS,
            MAX_AUTO_UPGRADE_INTERVAL_SECONDS,
            DEFAULT_AUTO_UPGRADE_INTERVAL_SECONDS);
    if (!p.list.isEmpty()) {
      throw p.exception();
    }
    return new Policy(
        source, keys, revoked, threshold, defaults, modules, index, autoUpgradeInterval);
  }

  // ------------------------------------------------------------------ views

  /** Where the policy came from (file name), for messages. */
  public String source() {
    return source;
  }

  public List<TrustedKey> trustedKeys() {
    return keys;
  }

  /** Key ids the policy revoked (they never count, even if listed under keys). */
  public Set<KeyId> revoked() {
    return revoked;
  }

  public int threshold() {
    return threshold;
  }

  public ModulePolicy defaults() {
    return defaults;
  }

  /** Module sections by name (each already laid over the defaults). */
  public Map<String, ModulePolicy> modules() {
    return modules;
  }

  /** The policy for {@code module}: its own section, or the defaults when it has none. */
  public ModulePolicy forModule(String module) {
    return modules.getOrDefault(module, defaults);
  }

  /** The trusted key with this id, if any (revoked keys included: check {@link #isRevoked}). */
  public Optional<TrustedKey> trustedKey(KeyId id) {
    return keys.stream().filter(k -> k.keyId().equals(id)).findFirst();
  }

  public boolean isRevoked(KeyId id) {
    return revoked.contains(id);
  }

  /** The keys trusted to sign module indexes ({@code [index]}), apart from the module keys. */
  public IndexTrust indexTrust() {
    return index;
  }

  /**
   * {@code auto_upgrade_interval_seconds}: how often the loader looks for a newer version of each
   * running module whose policy says {@code auto_upgrade = true}.
   */
  public int autoUpgradeIntervalSeconds() {
    return autoUpgradeIntervalSeconds;
  }
}
