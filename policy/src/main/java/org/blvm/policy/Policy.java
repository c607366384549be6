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
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.blvm.protocol.Capability;

/**
 * The operator's policy file (TOML): which keys are trusted to sign modules, how many signatures a
 * module needs, and what each module may do. Parsed strictly (unknown keys, duplicate keys, wrong
 * types and out-of-range values are errors naming the key and its line), validated as a whole (all
 * problems reported at once), then frozen. The reference is docs/policy.md.
 *
 * <p>Over 450 lines: the parser of every table of the file, sharing one problem list and one set of
 * key checks; a split by table (modules, network, index, limits) is owed.
 */
public final class Policy {
  /** Largest accepted policy file. */
  public static final int MAX_BYTES = 256 * 1024;

  /** Most trusted keys, and the highest threshold. */
  public static final int MAX_KEYS = 64;

  private static final Pattern MODULE_NAME = Pattern.compile("[a-z][a-z0-9-]{0,62}");
  private static final Pattern KEY_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}");
  private static final Pattern PROFILE = Pattern.compile("[a-z][a-z0-9_-]{0,31}");
  private static final Pattern SECTION = Pattern.compile("[A-Za-z0-9_-]{1,64}");
  private static final Set<String> ROOT_KEYS =
      new TreeSet<>(List.of("threshold", "keys", "revoked", "defaults", "modules", "index"));
  private static final Set<String> KEY_KEYS =
      new TreeSet<>(List.of("name", "public_key", "not_before", "not_after"));
  private static final Set<String> MODULE_KEYS =
      new TreeSet<>(
          List.of(
              "capabilities",
              "sandbox_profile",
              "limits",
              "config_sections",
              "callable_modules",
              "config_secrets",
              "rate_limit",
              "event_overflow",
              "restart",
              "connect_timeout_seconds",
              "on_disallowed_capability",
              "allow_unsigned",
              "threshold",
              "network",
              "start",
              "idle_seconds"));
  private static final Set<String> LIMIT_KEYS = new TreeSet<>(ModulePolicy.LIMIT_KEYS);

  /** Highest {@code data_files}: the loader walks every entry, so it bounds a walk's length. */
  public static final int MAX_DATA_FILES = 10_000_000;

  private static final Set<String> RATE_KEYS =
      new TreeSet<>(List.of("requests_per_second", "burst"));
  private static final Pattern CONFIG_KEY_PATH =
      Pattern.compile("[A-Za-z0-9_-]{1,64}(\\.[A-Za-z0-9_-]{1,64}){0,7}");
  private static final Set<String> RESTART_KEYS =
      new TreeSet<>(
          List.of(
              "mode", "max_restarts", "window_seconds", "backoff_initial_ms", "backoff_max_ms"));

  private final String source;
  private final List<TrustedKey> keys;
  private final Set<KeyId> revoked;
  private final int threshold;
  private final ModulePolicy defaults;
  private final Map<String, ModulePolicy> modules;
  private final IndexTrust index;

  private Policy(
      String source,
      List<TrustedKey> keys,
      Set<KeyId> revoked,
      int threshold,
      ModulePolicy defaults,
      Map<String, ModulePolicy> modules,
      IndexTrust index) {
    this.source = source;
    this.keys = List.copyOf(keys);
    this.revoked = Set.copyOf(revoked);
    this.threshold = threshold;
    this.defaults = defaults;
    this.modules = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(modules));
    this.index = index;
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
        builtInDefaults(
            threshold,
            EnumSet.allOf(Capability.class),
            "command line keys",
            Set.of(ModulePolicy.ANY_MODULE),
            RateLimit.UNLIMITED,
            new RestartRule(RestartRule.Mode.NEVER, 0, 600, 1000, 60_000));
    return new Policy("command line", tk, Set.of(), threshold, d, Map.of(), IndexTrust.NONE);
  }

  private static ModulePolicy builtInDefaults(int threshold, Set<Capability> caps, String section) {
    return builtInDefaults(
        threshold, caps, section, Set.of(), RateLimit.DEFAULT, RestartRule.DEFAULT);
  }

  /** Built-in values only: no key counts as written by the operator. */
  private static ModulePolicy builtInDefaults(
      int threshold,
      Set<Capability> caps,
      String section,
      Set<String> callable,
      RateLimit rate,
      RestartRule restart) {
    return new ModulePolicy(
        section,
        Set.of(),
        caps,
        Optional.empty(),
        LimitSettings.NONE,
        List.of(),
        callable,
        List.of(),
        rate,
        ModulePolicy.EventOverflow.DISCONNECT,
        restart,
        caps.size() == Capability.values().length
            ? ModulePolicy.DisallowedCapability.DROP
            : ModulePolicy.DisallowedCapability.REJECT,
        false,
        threshold,
        ModulePolicy.DEFAULT_CONNECT_TIMEOUT_SECONDS,
        NetworkPolicy.NONE);
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
    Problems p = new Problems(source, tomlLines);
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

    List<TrustedKey> keys = keyList(p, root.get("keys"), "keys");

    Set<KeyId> revoked = new LinkedHashSet<>();
    for (String r : p.strings(root, "revoked", "revoked")) {
      try {
        revoked.add(
            r.length() == 16 ? KeyId.parse(r) : MinisignPublicKey.parse(r, "revoked").keyId());
      } catch (IllegalArgumentException | KeyFormatException e) {
        p.add(
            "revoked",
            "\"" + r + "\" is neither a key id (16 hex digits) nor a minisign public key");
      }
    }
    long usable = keys.stream().filter(k -> !revoked.contains(k.keyId())).count();
    if (!keys.isEmpty() && usable < threshold) {
      p.add(
          "threshold", "is " + threshold + " but only " + usable + " trusted keys are not revoked");
    }

    ModulePolicy base = builtInDefaults(threshold, Set.of(), "defaults");
    JsonNode defNode = root.get("defaults");
    ModulePolicy defaults = base;
    if (defNode != null) {
      if (!defNode.isObject()) {
        p.add("defaults", "must be a table");
      } else {
        if (defNode.has("allow_unsigned")) {
          p.add(
              "defaults.allow_unsigned",
              "is per module only: set it in [modules.<name>] for the module you are developing");
        }
        defaults = layer(p, defNode, base, "defaults", usable, keys.isEmpty());
      }
    }

    Map<String, ModulePolicy> modules = new LinkedHashMap<>();
    JsonNode modNode = root.get("modules");
    if (modNode != null) {
      if (!modNode.isObject()) {
        p.add("modules", "must be a table of [modules.<name>] sections");
      } else {
        for (Iterator<Map.Entry<String, JsonNode>> it = modNode.fields(); it.hasNext(); ) {
          Map.Entry<String, JsonNode> e = it.next();
          String section = "modules." + e.getKey();
          if (!MODULE_NAME.matcher(e.getKey()).matches()) {
            p.add(section, "module name must match " + MODULE_NAME.pattern());
            continue;
          }
          if (!e.getValue().isObject()) {
            p.add(section, "must be a table");
            continue;
          }
          modules.put(
              e.getKey(), layer(p, e.getValue(), defaults, section, usable, keys.isEmpty()));
        }
      }
    }
    NetworkSection.checkListenAcrossModules(p, modules);
    IndexTrust index = IndexTrust.parse(p, root.get("index"), revoked);
    if (!p.list.isEmpty()) {
      throw p.exception();
    }
    return new Policy(source, keys, revoked, threshold, defaults, modules, index);
  }

  /** The {@code [[at]]} array of trusted keys: names and keys unique, at most {@link #MAX_KEYS}. */
  static List<TrustedKey> keyList(Problems p, JsonNode keysNode, String at) {
    List<TrustedKey> keys = new ArrayList<>();
    if (keysNode != null) {
      if (!keysNode.isArray()) {
        p.add(at, "must be an array of tables: [[" + at + "]]");
      } else if (keysNode.size() > MAX_KEYS) {
        p.add(at, "more than " + MAX_KEYS + " keys");
      } else {
        Set<String> names = new HashSet<>();
        Set<KeyId> ids = new HashSet<>();
        Set<String> publicKeys = new HashSet<>();
        for (int i = 0; i < keysNode.size(); i++) {
          TrustedKey k = trustedKey(p, keysNode.get(i), at + "[" + i + "]");
          if (k != null) {
            if (!names.add(k.name())) {
              p.add(at + "[" + i + "].name", "\"" + k.name() + "\" names two keys");
            }
            if (!ids.add(k.keyId())) {
              p.add(at + "[" + i + "].public_key", "key id " + k.keyId() + " is listed twice");
            } else if (!publicKeys.add(java.util.HexFormat.of().formatHex(k.key().ed25519()))) {
              // The same Ed25519 key under a second key id would count twice toward the threshold.
              p.add(
                  at + "[" + i + "].public_key",
                  "the same Ed25519 key is already listed under another key id");
            }
            keys.add(k);
          }
        }
      }
    }
    return keys;
  }

  private static TrustedKey trustedKey(Problems p, JsonNode n, String at) {
    if (!n.isObject()) {
      p.add(at, "must be a table with name and public_key");
      return null;
    }
    p.unknownKeys(n, at, KEY_KEYS);
    String name = p.string(n, "name", at + ".name", null);
    String pk = p.string(n, "public_key", at + ".public_key", null);
    if (name == null) {
      p.add(at + ".name", "missing");
    } else if (!KEY_NAME.matcher(name).matches()) {
      p.add(at + ".name", "must match " + KEY_NAME.pattern() + ", found \"" + name + "\"");
    }
    if (pk == null) {
      p.add(at + ".public_key", "missing (the base64 line of a minisign .pub file)");
    }
    Instant nb = p.instant(n, "not_before", at + ".not_before");
    Instant na = p.instant(n, "not_after", at + ".not_after");
    if (nb != null && na != null && !nb.isBefore(na)) {
      p.add(at + ".not_after", "must be later than not_before (" + nb + "), found " + na);
    }
    if (name == null || pk == null || !KEY_NAME.matcher(name).matches()) {
      return null;
    }
    try {
      return new TrustedKey(name, MinisignPublicKey.parse(pk, at + ".public_key"), nb, na);
    } catch (KeyFormatException e) {
      p.add(at + ".public_key", e.reason());
      return null;
    }
  }

  private static ModulePolicy layer(
      Problems p, JsonNode n, ModulePolicy base, String at, long usableKeys, boolean noKeys) {
    p.unknownKeys(n, at, MODULE_KEYS);
    Set<String> overrides = new TreeSet<>();
    for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
      overrides.add(it.next());
    }
    Set<Capability> caps = base.capabilities();
    if (n.has("capabilities")) {
      Set<Capability> c = EnumSet.noneOf(Capability.class);
      for (String s : p.strings(n, "capabilities", at + ".capabilities")) {
        Optional<Capability> cap = Capability.fromWire(s);
        if (cap.isEmpty()) {
          p.add(at + ".capabilities", "unknown capability \"" + s + "\"");
        } else if (!c.add(cap.get())) {
          p.add(at + ".capabilities", "\"" + s + "\" is listed twice");
        }
      }
      caps = c;
    }
    Optional<String> profile = base.sandboxProfile();
    String named = p.string(n, "sandbox_profile", at + ".sandbox_profile", null);
    if (named != null) {
      if (PROFILE.matcher(named).matches()) {
        profile = Optional.of(named);
      } else {
        p.add(
            at + ".sandbox_profile",
            "must match " + PROFILE.pattern() + ", found \"" + named + "\"");
      }
    }
    LimitSettings limits = base.limits();
    JsonNode ln = n.get("limits");
    if (ln != null) {
      if (!ln.isObject()) {
        p.add(at + ".limits", "must be a table");
      } else {
        String l = at + ".limits";
        p.unknownKeys(ln, l, LIMIT_KEYS);
        LimitSettings b = limits;
        limits =
            new LimitSettings(
                p.optionalInt(ln, "memory_mb", l + ".memory_mb", 16, 1 << 20, b.memoryMb()),
                p.optionalInt(ln, "cpu_seconds", l + ".cpu_seconds", 0, 31_536_000, b.cpuSeconds()),
                p.optionalInt(ln, "open_files", l + ".open_files", 16, 1 << 20, b.openFiles()),
                p.optionalInt(ln, "processes", l + ".processes", 1, 65_536, b.processes()),
                p.optionalInt(ln, "disk_mb", l + ".disk_mb", 1, 1 << 24, b.diskMb()),
                p.optionalInt(ln, "data_mb", l + ".data_mb", 1, 1 << 24, b.dataMb()),
                p.optionalInt(
                    ln, "data_files", l + ".data_files", 1, MAX_DATA_FILES, b.dataFiles()));
      }
    }
    List<String> sections = base.configSections();
    if (n.has("config_sections")) {
      sections = p.strings(n, "config_sections", at + ".config_sections");
      Set<String> seen = new HashSet<>();
      for (String s : sections) {
        if (!SECTION.matcher(s).matches()) {
          p.add(
              at + ".config_sections",
              "section name must match " + SECTION.pattern() + ", found \"" + s + "\"");
        } else if (!seen.add(s)) {
          p.add(at + ".config_sections", "\"" + s + "\" is listed twice");
        }
      }
    }
    Set<String> callable = base.callableModules();
    if (n.has("callable_modules")) {
      callable = new LinkedHashSet<>();
      for (String s : p.strings(n, "callable_modules", at + ".callable_modules")) {
        if (!MODULE_NAME.matcher(s).matches() && !s.equals(ModulePolicy.ANY_MODULE)) {
          p.add(
              at + ".callable_modules",
              "module name must match " + MODULE_NAME.pattern() + ", found \"" + s + "\"");
        } else if (!callable.add(s)) {
          p.add(at + ".callable_modules", "\"" + s + "\" is listed twice");
        }
      }
    }
    List<String> secrets = base.configSecrets();
    if (n.has("config_secrets")) {
      secrets = p.strings(n, "config_secrets", at + ".config_secrets");
      Set<String> seen = new HashSet<>();
      for (String s : secrets) {
        if (!CONFIG_KEY_PATH.matcher(s).matches()) {
          p.add(
              at + ".config_secrets",
              "must be a dotted key path like \"rpc.password\", found \"" + s + "\"");
        } else if (!seen.add(s)) {
          p.add(at + ".config_secrets", "\"" + s + "\" is listed twice");
        }
      }
    }
    RateLimit rate = base.rateLimit();
    JsonNode rl = n.get("rate_limit");
    if (rl != null) {
      if (!rl.isObject()) {
        p.add(at + ".rate_limit", "must be a table");
      } else {
        String r = at + ".rate_limit";
        p.unknownKeys(rl, r, RATE_KEYS);
        int rps =
            p.integer(
                rl,
                "requests_per_second",
                r + ".requests_per_second",
                0,
                1_000_000,
                rate.requestsPerSecond());
        int burst = p.integer(rl, "burst", r + ".burst", 1, 1_000_000, Math.max(1, rate.burst()));
        rate = rps == 0 ? RateLimit.UNLIMITED : new RateLimit(rps, burst);
      }
    }
    ModulePolicy.EventOverflow overflow =
        p.choice(
            n,
            "event_overflow",
            at + ".event_overflow",
            ModulePolicy.EventOverflow.class,
            base.eventOverflow());
    RestartRule restart = base.restart();
    JsonNode rn = n.get("restart");
    if (rn != null) {
      if (!rn.isObject()) {
        p.add(at + ".restart", "must be a table");
      } else {
        String r = at + ".restart";
        p.unknownKeys(rn, r, RESTART_KEYS);
        RestartRule b = restart;
        restart =
            new RestartRule(
                p.choice(rn, "mode", r + ".mode", RestartRule.Mode.class, b.mode()),
                p.integer(rn, "max_restarts", r + ".max_restarts", 0, 1000, b.maxRestarts()),
                p.integer(
                    rn, "window_seconds", r + ".window_seconds", 1, 604_800, b.windowSeconds()),
                p.integer(
                    rn,
                    "backoff_initial_ms",
                    r + ".backoff_initial_ms",
                    10,
                    3_600_000,
                    b.backoffInitialMs()),
                p.integer(
                    rn, "backoff_max_ms", r + ".backoff_max_ms", 10, 3_600_000, b.backoffMaxMs()));
        if (restart.backoffMaxMs() < restart.backoffInitialMs()) {
          p.add(
              r + ".backoff_max_ms",
              "must be >= backoff_initial_ms ("
                  + restart.backoffInitialMs()
                  + "), found "
                  + restart.backoffMaxMs());
        }
      }
    }
    int connectTimeout =
        p.integer(
            n,
            "connect_timeout_seconds",
            at + ".connect_timeout_seconds",
            1,
            3600,
            base.connectTimeoutSeconds());
    ModulePolicy.DisallowedCapability onDisallowed =
        p.choice(
            n,
            "on_disallowed_capability",
            at + ".on_disallowed_capability",
            ModulePolicy.DisallowedCapability.class,
            base.onDisallowedCapability());
    boolean allowUnsigned = false;
    if (at.startsWith("modules.")) {
      JsonNode au = n.get("allow_unsigned");
      if (au != null) {
        if (!au.isBoolean()) {
          p.add(at + ".allow_unsigned", "must be true or false, found " + au.getNodeType());
        } else {
          allowUnsigned = au.booleanValue();
        }
      }
    }
    int threshold = p.integer(n, "threshold", at + ".threshold", 1, MAX_KEYS, base.threshold());
    if (n.has("threshold") && !noKeys && threshold > usableKeys) {
      p.add(
          at + ".threshold",
          "is " + threshold + " but only " + usableKeys + " trusted keys are not revoked");
    }
    return new ModulePolicy(
        at,
        at.equals("defaults") ? Set.of() : overrides,
        caps,
        profile,
        limits,
        sections,
        callable,
        secrets,
        rate,
        overflow,
        restart,
        onDisallowed,
        allowUnsigned,
        threshold,
        connectTimeout,
        NetworkSection.parse(p, n.get("network"), base.network(), at),
        startRule(p, n, base.start(), at));
  }

  /** {@code start} and {@code idle_seconds} over {@code base}. */
  private static StartRule startRule(Problems p, JsonNode n, StartRule base, String at) {
    return new StartRule(
        p.choice(n, "start", at + ".start", StartRule.Mode.class, base.mode()),
        p.integer(
            n,
            "idle_seconds",
            at + ".idle_seconds",
            1,
            StartRule.MAX_IDLE_SECONDS,
            base.idleSeconds()));
  }

  /** Collects problems with their lines. */
  static final class Problems {
    final String source;
    final TomlLines lines;
    final List<PolicyException.Problem> list = new ArrayList<>();

    Problems(String source, TomlLines lines) {
      this.source = source;
      this.lines = lines;
    }

    void add(String key, String message) {
      list.add(new PolicyException.Problem(key, key == null ? 0 : lines.lineOf(key), message));
    }

    PolicyException exception() {
      return new PolicyException(source, list);
    }

    void unknownKeys(JsonNode n, String at, Set<String> allowed) {
      for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
        String k = it.next();
        if (!allowed.contains(k)) {
          add(
              at.isEmpty() ? k : at + "." + k,
              "unknown key; allowed here: " + String.join(", ", allowed));
        }
      }
    }

    int integer(JsonNode n, String field, String key, int min, int max, int dflt) {
      JsonNode v = n.get(field);
      if (v == null) {
        return dflt;
      }
      if (!v.isIntegralNumber() || !v.canConvertToLong()) {
        add(key, "must be an integer, found " + v.getNodeType() + " " + v);
        return dflt;
      }
      long l = v.longValue();
      if (l < min || l > max) {
        add(key, "must be from " + min + " to " + max + ", found " + l);
        return dflt;
      }
      return (int) l;
    }

    /** Like {@link #integer}, for a key whose absence means "not set" ({@code dflt}). */
    OptionalInt optionalInt(
        JsonNode n, String field, String key, int min, int max, OptionalInt dflt) {
      if (n.get(field) == null) {
        return dflt;
      }
      int before = list.size();
      int v = integer(n, field, key, min, max, 0);
      return list.size() == before ? OptionalInt.of(v) : dflt;
    }

    String string(JsonNode n, String field, String key, String dflt) {
      JsonNode v = n.get(field);
      if (v == null) {
        return dflt;
      }
      if (!v.isTextual()) {
        add(key, "must be a string, found " + v.getNodeType());
        return dflt;
      }
      return v.textValue();
    }

    List<String> strings(JsonNode n, String field, String key) {
      JsonNode v = n.get(field);
      List<String> out = new ArrayList<>();
      if (v == null) {
        return out;
      }
      if (!v.isArray()) {
        add(key, "must be an array of strings");
        return out;
      }
      if (v.size() > 1024) {
        add(key, "more than 1024 entries");
        return out;
      }
      for (JsonNode e : v) {
        if (!e.isTextual()) {
          add(key, "must be an array of strings, found " + e.getNodeType());
        } else {
          out.add(e.textValue());
        }
      }
      return out;
    }

    <E extends Enum<E>> E choice(JsonNode n, String field, String key, Class<E> type, E dflt) {
      String s = string(n, field, key, null);
      if (s == null) {
        return dflt;
      }
      List<String> names = new ArrayList<>();
      for (E e : type.getEnumConstants()) {
        String wire = e.name().toLowerCase(java.util.Locale.ROOT);
        names.add(wire);
        if (wire.equals(s)) {
          return e;
        }
      }
      add(key, "must be one of " + String.join(" | ", names) + ", found \"" + s + "\"");
      return dflt;
    }

    Instant instant(JsonNode n, String field, String key) {
      String s = string(n, field, key, null);
      if (s == null) {
        return null;
      }
      String t =
          s.length() > 10 && s.charAt(10) == ' ' ? s.substring(0, 10) + "T" + s.substring(11) : s;
      try {
        return OffsetDateTime.parse(t).toInstant();
      } catch (DateTimeParseException e) {
        add(
            key,
            "must be a date-time with an offset, like 2026-01-01T00:00:00Z, found \"" + s + "\"");
        return null;
      }
    }
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
}
