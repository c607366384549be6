package org.blvm.loader;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.blvm.policy.ModulePolicy;

/**
 * What one module may see of the node config (docs/config.md): the sections its policy lists in
 * {@code config_sections} (only with the {@code read_config} capability; {@code modules} is never
 * one of them), with secret-looking keys redacted unless {@code config_secrets} grants them, plus
 * its own effective config under {@code modules.<name>}. Pure functions of their inputs.
 */
final class ConfigView {
  /**
   * A key whose name contains one of these (case-insensitive) is secret-looking. Over-matching
   * ({@code keys}, {@code author}, {@code monkey}) is deliberate: it errs towards hiding.
   */
  static final List<String> SECRET_WORDS =
      List.of(
          "password",
          "passwd",
          "passphrase",
          "pwd",
          "secret",
          "token",
          "key",
          "auth",
          "cookie",
          "credential",
          "private",
          "priv",
          "seed",
          "mnemonic",
          "macaroon",
          "session",
          "xprv",
          "tprv");

  /** What a redacted value is replaced with. */
  static final String REDACTED = "[redacted]";

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private ConfigView() {}

  /** Whether a key name looks like it holds a secret. */
  static boolean secretLooking(String key) {
    String k = key.toLowerCase(Locale.ROOT);
    for (String w : SECRET_WORDS) {
      if (k.contains(w)) {
        return true;
      }
    }
    return false;
  }

  /**
   * The top-level sections the module may read besides its own: {@code config_sections} when it
   * holds {@code read_config}, without {@code modules} (other modules' sections are never visible).
   */
  static List<String> readableSections(ModulePolicy policy, boolean readConfig) {
    if (!readConfig) {
      return List.of();
    }
    List<String> out = new ArrayList<>();
    for (String s : policy.configSections()) {
      if (!s.equals(NodeConfig.MODULES)) {
        out.add(s);
      }
    }
    return out;
  }

  /**
   * The module's view: readable sections (redacted) in policy order, then {@code modules: {<id>:
   * effective own config}}. Always a fresh tree.
   */
  static ObjectNode visible(
      NodeConfig config,
      String moduleId,
      ModulePolicy policy,
      boolean readConfig,
      JsonNode manifestConfig) {
    ObjectNode out = NODES.objectNode();
    List<List<String>> grants = new ArrayList<>();
    for (String g : policy.configSecrets()) {
      grants.add(Arrays.asList(g.split("\\.", -1)));
    }
    for (String s : readableSections(policy, readConfig)) {
      JsonNode v = config.section(s);
      if (v != null) {
        out.set(s, redact(s, v, List.of(), grants));
      }
    }
    out.putObject(NodeConfig.MODULES)
        .set(moduleId, ownConfig(manifestConfig, config.moduleSection(moduleId)));
    return out;
  }

  /**
   * The module's own config: the manifest's {@code [config]} defaults with the node config's {@code
   * [modules.<id>]} laid over them top-level key by key. Never redacted: it is the module's own
   * configuration.
   */
  static ObjectNode ownConfig(JsonNode manifestConfig, ObjectNode nodeSection) {
    ObjectNode own = manifestConfig instanceof ObjectNode o ? o.deepCopy() : NODES.objectNode();
    if (nodeSection != null) {
      for (Iterator<Map.Entry<String, JsonNode>> it = nodeSection.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        own.set(e.getKey(), e.getValue().deepCopy());
      }
    }
    return own;
  }

  /**
   * The value of key {@code key} (under {@code parent}, a list of key names) with every
   * secret-looking key at any depth replaced by {@link #REDACTED}, unless its path or an ancestor
   * path is granted. Array elements share their array's path.
   */
  private static JsonNode redact(
      String key, JsonNode value, List<String> parent, List<List<String>> grants) {
    List<String> path = new ArrayList<>(parent);
    path.add(key);
    if (granted(path, grants)) {
      return value.deepCopy();
    }
    if (secretLooking(key)) {
      return TextNode.valueOf(REDACTED);
    }
    return redactInside(value, path, grants);
  }

  private static JsonNode redactInside(
      JsonNode value, List<String> path, List<List<String>> grants) {
    if (value.isObject()) {
      ObjectNode o = NODES.objectNode();
      for (Iterator<Map.Entry<String, JsonNode>> it = value.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        o.set(e.getKey(), redact(e.getKey(), e.getValue(), path, grants));
      }
      return o;
    }
    if (value.isArray()) {
      ArrayNode a = NODES.arrayNode();
      for (JsonNode element : value) {
        a.add(redactInside(element, path, grants));
      }
      return a;
    }
    return value.deepCopy();
  }

  /** A grant covers a path when it is the path or one of its ancestors (compared key by key). */
  private static boolean granted(List<String> path, List<List<String>> grants) {
    for (List<String> g : grants) {
      if (g.size() <= path.size() && g.equals(path.subList(0, g.size()))) {
        return true;
      }
    }
    return false;
  }

  /**
   * The visible sections that differ between two views of the same module: top-level names, with
   * the module's own section reported as {@code modules.<id>}.
   */
  static List<String> changed(ObjectNode before, ObjectNode after, String moduleId) {
    Set<String> names = new LinkedHashSet<>();
    before.fieldNames().forEachRemaining(names::add);
    after.fieldNames().forEachRemaining(names::add);
    List<String> out = new ArrayList<>();
    for (String n : names) {
      if (!Objects.equals(before.get(n), after.get(n))) {
        out.add(n.equals(NodeConfig.MODULES) ? NodeConfig.MODULES + "." + moduleId : n);
      }
    }
    return out;
  }

  /** Every section of a view, named as {@link #changed} names them (for the first delivery). */
  static List<String> all(ObjectNode view, String moduleId) {
    return changed(NODES.objectNode(), view, moduleId);
  }
}
