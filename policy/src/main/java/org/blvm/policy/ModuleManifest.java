package org.blvm.policy;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;
import org.blvm.protocol.Capability;

/**
 * A module's {@code module.toml}: who it is, how to run it, what it asks for. Parsed strictly:
 * unknown keys, wrong types and oversized files are {@link ManifestException}s naming the key.
 *
 * <p>This is the subset the loader needs to run a module; signatures, the pinned binary digest and
 * the remaining keys arrive with the trust issue.
 */
public record ModuleManifest(
    String name,
    String version,
    String description,
    Runtime runtime,
    String entry,
    String mainClass,
    Set<Capability> capabilities,
    List<String> provides,
    JsonNode config) {

  /** Largest accepted manifest. */
  public static final int MAX_BYTES = 64 * 1024;

  private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9-]{0,62}");
  private static final Pattern VERSION =
      Pattern.compile(
          "(0|[1-9]\\d{0,8})\\.(0|[1-9]\\d{0,8})\\.(0|[1-9]\\d{0,8})(-[0-9A-Za-z.-]{1,64})?");
  private static final Pattern METHOD = Pattern.compile("[a-z][a-z0-9_]{0,63}");
  private static final Pattern CLASS_NAME =
      Pattern.compile("[A-Za-z_$][A-Za-z0-9_$]*(\\.[A-Za-z_$][A-Za-z0-9_$]*)*");
  private static final Set<String> KEYS =
      Set.of(
          "name",
          "version",
          "description",
          "runtime",
          "entry",
          "main_class",
          "capabilities",
          "provides",
          "config");

  /** How the entry is run. */
  public enum Runtime {
    /** A jar run by the node's JDK. */
    JAVA,
    /** A native executable. */
    NATIVE
  }

  public ModuleManifest {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(version, "version");
    Objects.requireNonNull(runtime, "runtime");
    Objects.requireNonNull(entry, "entry");
    capabilities = Set.copyOf(capabilities);
    provides = List.copyOf(provides);
    config = config == null ? JsonNodeFactory.instance.objectNode() : config.deepCopy();
  }

  /** The default config as a fresh copy (the record holds its own). */
  @Override
  public JsonNode config() {
    return config.deepCopy();
  }

  /** Reads and validates {@code dir/module.toml}; the directory name must equal the name. */
  public static ModuleManifest read(Path file) throws ManifestException {
    byte[] bytes;
    try {
      if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
        throw new ManifestException(file, null, "not a regular file (symlinks are refused)");
      }
      try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
        bytes = in.readNBytes(MAX_BYTES + 1);
      }
    } catch (IOException e) {
      throw new ManifestException(file, null, "cannot read: " + e.getMessage(), e);
    }
    if (bytes.length > MAX_BYTES) {
      throw new ManifestException(file, null, "larger than the maximum of " + MAX_BYTES + " bytes");
    }
    return parse(file, bytes);
  }

  /** Parses manifest bytes; {@code file} is used in messages only. */
  public static ModuleManifest parse(Path file, byte[] bytes) throws ManifestException {
    JsonNode root;
    try {
      root = new TomlMapper().readTree(bytes);
    } catch (JacksonException e) {
      throw new ManifestException(file, null, "not valid TOML: " + e.getOriginalMessage(), e);
    } catch (IOException e) {
      throw new ManifestException(file, null, "not valid TOML: " + e.getMessage(), e);
    }
    if (root == null || !root.isObject()) {
      throw new ManifestException(file, null, "empty manifest");
    }
    for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
      String key = it.next();
      if (!KEYS.contains(key)) {
        throw new ManifestException(file, key, "unknown key; allowed: " + String.join(", ", KEYS));
      }
    }
    String name = text(file, root, "name", true);
    if (!NAME.matcher(name).matches()) {
      throw new ManifestException(
          file, "name", "must match " + NAME.pattern() + ", found \"" + name + "\"");
    }
    String version = text(file, root, "version", true);
    if (!VERSION.matcher(version).matches()) {
      throw new ManifestException(
          file, "version", "must be a semantic version like 1.2.3, found \"" + version + "\"");
    }
    String description = text(file, root, "description", false);
    String runtimeText = text(file, root, "runtime", true);
    Runtime runtime;
    switch (runtimeText) {
      case "java":
        runtime = Runtime.JAVA;
        break;
      case "native":
        runtime = Runtime.NATIVE;
        break;
      default:
        throw new ManifestException(
            file, "runtime", "must be \"java\" or \"native\", found \"" + runtimeText + "\"");
    }
    String entry = text(file, root, "entry", true);
    if (entry.isEmpty()
        || entry.contains("/")
        || entry.contains("\\")
        || entry.equals(".")
        || entry.equals("..")) {
      throw new ManifestException(
          file,
          "entry",
          "must be a file name inside the module directory, found \"" + entry + "\"");
    }
    String mainClass = text(file, root, "main_class", false);
    if (mainClass != null) {
      if (runtime != Runtime.JAVA) {
        throw new ManifestException(file, "main_class", "only allowed with runtime = \"java\"");
      }
      if (!CLASS_NAME.matcher(mainClass).matches()) {
        throw new ManifestException(
            file, "main_class", "not a Java class name: \"" + mainClass + "\"");
      }
    }
    Set<Capability> caps = new LinkedHashSet<>();
    for (String c : textList(file, root, "capabilities")) {
      Capability cap =
          Capability.fromWire(c)
              .orElseThrow(
                  () ->
                      new ManifestException(
                          file, "capabilities", "unknown capability \"" + c + "\""));
      if (!caps.add(cap)) {
        throw new ManifestException(file, "capabilities", "\"" + c + "\" is listed twice");
      }
    }
    List<String> provides = textList(file, root, "provides");
    Set<String> seen = new LinkedHashSet<>();
    for (String m : provides) {
      if (!METHOD.matcher(m).matches()) {
        throw new ManifestException(
            file,
            "provides",
            "method name must match " + METHOD.pattern() + ", found \"" + m + "\"");
      }
      if (!seen.add(m)) {
        throw new ManifestException(file, "provides", "\"" + m + "\" is listed twice");
      }
    }
    JsonNode config = root.get("config");
    if (config != null && !config.isObject()) {
      throw new ManifestException(file, "config", "must be a table");
    }
    return new ModuleManifest(
        name,
        version,
        description,
        runtime,
        entry,
        mainClass,
        caps,
        provides,
        config == null ? JsonNodeFactory.instance.objectNode() : (ObjectNode) config);
  }

  private static String text(Path file, JsonNode root, String key, boolean required)
      throws ManifestException {
    JsonNode n = root.get(key);
    if (n == null) {
      if (required) {
        throw new ManifestException(file, key, "missing");
      }
      return null;
    }
    if (!n.isTextual()) {
      throw new ManifestException(file, key, "must be a string, found " + n.getNodeType());
    }
    return n.textValue();
  }

  private static List<String> textList(Path file, JsonNode root, String key)
      throws ManifestException {
    JsonNode n = root.get(key);
    List<String> out = new ArrayList<>();
    if (n == null) {
      return out;
    }
    if (!n.isArray()) {
      throw new ManifestException(file, key, "must be an array of strings");
    }
    for (JsonNode e : n) {
      if (!e.isTextual()) {
        throw new ManifestException(
            file, key, "must be an array of strings, found " + e.getNodeType());
      }
      out.add(e.textValue());
    }
    return out;
  }

  /** For messages: {@code name version}. */
  public String label() {
    return name + " " + version;
  }
}
