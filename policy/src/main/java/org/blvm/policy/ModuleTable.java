package org.blvm.policy;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.blvm.protocol.Capability;

/**
 * The policy's {@code [defaults]} and {@code [modules.NAME]} tables: each module section laid over
 * the defaults, its sub-tables ({@code limits}, {@code rate_limit}, {@code restart}, {@code
 * network}, {@code start}) parsed by their own classes.
 */
final class ModuleTable {
  private static final Pattern MODULE_NAME = Pattern.compile("[a-z][a-z0-9-]{0,62}");
  private static final Pattern PROFILE = Pattern.compile("[a-z][a-z0-9_-]{0,31}");
  private static final Pattern SECTION = Pattern.compile("[A-Za-z0-9_-]{1,64}");
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
              "idle_seconds",
              "auto_upgrade"));
  private static final Pattern CONFIG_KEY_PATH =
      Pattern.compile("[A-Za-z0-9_-]{1,64}(\\.[A-Za-z0-9_-]{1,64}){0,7}");

  private ModuleTable() {}

  /** Built-in values with the default rate limit and restart rule, no module-to-module calls. */
  static ModulePolicy builtIn(int threshold, Set<Capability> caps, String section) {
    return builtIn(threshold, caps, section, Set.of(), RateLimit.DEFAULT, RestartRule.DEFAULT);
  }

  /** Built-in values only: no key counts as written by the operator. */
  static ModulePolicy builtIn(
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
        NetworkPolicy.NONE,
        StartRule.DEFAULT);
  }

  /** The {@code [defaults]} table over {@code base}, or {@code base} when there is none. */
  static ModulePolicy defaults(
      PolicyProblems p, JsonNode defNode, ModulePolicy base, long usable, boolean noKeys) {
    if (defNode == null) {
      return base;
    }
    if (!defNode.isObject()) {
      p.add("defaults", "must be a table");
      return base;
    }
    if (defNode.has("allow_unsigned")) {
      p.add(
          "defaults.allow_unsigned",
          "is per module only: set it in [modules.<name>] for the module you are developing");
    }
    return layer(p, defNode, base, "defaults", usable, noKeys);
  }

  /** The {@code [modules.NAME]} sections, each over {@code defaults}, in file order. */
  static Map<String, ModulePolicy> modules(
      PolicyProblems p, JsonNode modNode, ModulePolicy defaults, long usable, boolean noKeys) {
    Map<String, ModulePolicy> modules = new LinkedHashMap<>();
    if (modNode == null) {
      return modules;
    }
    if (!modNode.isObject()) {
      p.add("modules", "must be a table of [modules.<name>] sections");
      return modules;
    }
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
      modules.put(e.getKey(), layer(p, e.getValue(), defaults, section, usable, noKeys));
    }
    return modules;
  }

  private static ModulePolicy layer(
      PolicyProblems p, JsonNode n, ModulePolicy base, String at, long usableKeys, boolean noKeys) {
    p.unknownKeys(n, at, MODULE_KEYS);
    Set<String> overrides = new TreeSet<>();
    for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
      overrides.add(it.next());
    }
    Set<Capability> caps = capabilities(p, n, base.capabilities(), at);
    Optional<String> profile = sandboxProfile(p, n, base.sandboxProfile(), at);
    LimitSettings limits = LimitsTable.parse(p, n, base.limits(), at);
    List<String> sections =
        uniqueList(
            p,
            n,
            base.configSections(),
            at,
            "config_sections",
            SECTION,
            "section name must match " + SECTION.pattern());
    Set<String> callable = callableModules(p, n, base.callableModules(), at);
    List<String> secrets =
        uniqueList(
            p,
            n,
            base.configSecrets(),
            at,
            "config_secrets",
            CONFIG_KEY_PATH,
            "must be a dotted key path like \"rpc.password\"");
    RateLimit rate = RateLimitTable.parse(p, n, base.rateLimit(), at);
    ModulePolicy.EventOverflow overflow =
        p.choice(
            n,
            "event_overflow",
            at + ".event_overflow",
            ModulePolicy.EventOverflow.class,
            base.eventOverflow());
    RestartRule restart = RestartTable.parse(p, n, base.restart(), at);
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
    int threshold =
        p.integer(n, "threshold", at + ".threshold", 1, Policy.MAX_KEYS, base.threshold());
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
        StartTable.parse(p, n, base.start(), at),
        p.bool(n, "auto_upgrade", at + ".auto_upgrade", base.autoUpgrade()));
  }

  /** {@code capabilities} over {@code base}. */
  private static Set<Capability> capabilities(
      PolicyProblems p, JsonNode n, Set<Capability> base, String at) {
    Set<Capability> caps = base;
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
    return caps;
  }

  /** {@code sandbox_profile} over {@code base}. */
  private static Optional<String> sandboxProfile(
      PolicyProblems p, JsonNode n, Optional<String> base, String at) {
    Optional<String> profile = base;
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
    return profile;
  }

  /**
   * A list of unique strings {@code field} over {@code base}, each matching {@code pattern}; a
   * mismatch is reported as {@code mustBe}, with the string found.
   */
  private static List<String> uniqueList(
      PolicyProblems p,
      JsonNode n,
      List<String> base,
      String at,
      String field,
      Pattern pattern,
      String mustBe) {
    if (!n.has(field)) {
      return base;
    }
    String key = at + "." + field;
    List<String> list = p.strings(n, field, key);
    Set<String> seen = new HashSet<>();
    for (String s : list) {
      if (!pattern.matcher(s).matches()) {
        p.add(key, mustBe + ", found \"" + s + "\"");
      } else if (!seen.add(s)) {
        p.add(key, "\"" + s + "\" is listed twice");
      }
    }
    return list;
  }

  /** {@code callable_modules} over {@code base}. */
  private static Set<String> callableModules(
      PolicyProblems p, JsonNode n, Set<String> base, String at) {
    Set<String> callable = base;
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
    return callable;
  }
}
