package org.blvm.loader;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.blvm.policy.TomlDepth;

/**
 * One parsed, immutable version of the node's TOML config (docs/config.md). Parsing is strict:
 * duplicate keys and redefined tables are errors (Jackson's TOML reader refuses them), the file is
 * bounded to {@link #MAX_BYTES}, an empty file is refused (it is what a half-written file looks
 * like), and {@code modules} must be a table of tables. Nothing here ever puts a value of the file
 * into a message.
 */
final class NodeConfig {
  /** Largest accepted config file. */
  static final int MAX_BYTES = 1 << 20;

  /** The top-level table holding each module's own section. */
  static final String MODULES = "modules";

  private static final TomlMapper TOML = new TomlMapper();

  /** The root table; never mutated after construction and never handed out. */
  private final ObjectNode root;

  private NodeConfig(ObjectNode root) {
    this.root = root;
  }

  /** The most module config files read from {@link #MODULE_FILES}; more is an error. */
  static final int MAX_MODULE_FILES = 256;

  /** The directory beside the node config holding one {@code NAME.toml} per module. */
  static final String MODULE_FILES = "modules";

  private static final java.util.regex.Pattern MODULE_NAME =
      java.util.regex.Pattern.compile("[a-z][a-z0-9-]{0,62}");

  /**
   * Reads and parses {@code file} (symlinks are followed, as editors and config maps use them),
   * with each module config file {@code modules/NAME.toml} beside it as {@code [modules.NAME]}.
   */
  static NodeConfig read(Path file) throws NodeConfigException {
    NodeConfig main = parse(file, bytes(file));
    Path dir = file.toAbsolutePath().getParent().resolve(MODULE_FILES);
    return Files.isDirectory(dir) ? main.withModuleFiles(file, dir) : main;
  }

  /**
   * This config with each {@code dir/NAME.toml} as {@code [modules.NAME]}; a module configured both
   * ways, a file name that is not a module name, or a broken file is an error naming it.
   */
  private NodeConfig withModuleFiles(Path mainFile, Path dir) throws NodeConfigException {
    List<Path> files = new ArrayList<>();
    try (java.nio.file.DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*.toml")) {
      for (Path f : ds) {
        if (Files.isRegularFile(f)) {
          if (files.size() == MAX_MODULE_FILES) {
            throw new NodeConfigException(
                dir, 0, "holds more than " + MAX_MODULE_FILES + " module config files");
          }
          files.add(f);
        }
      }
    } catch (NodeConfigException e) {
      throw e;
    } catch (IOException e) {
      throw new NodeConfigException(dir, 0, "cannot list it: " + e.getClass().getSimpleName());
    }
    if (files.isEmpty()) {
      return this;
    }
    files.sort(null);
    ObjectNode merged = root.deepCopy();
    JsonNode existing = merged.get(MODULES);
    ObjectNode modules = existing == null ? merged.putObject(MODULES) : (ObjectNode) existing;
    for (Path f : files) {
      String fileName = f.getFileName().toString();
      String name = fileName.substring(0, fileName.length() - ".toml".length());
      if (!MODULE_NAME.matcher(name).matches()) {
        throw new NodeConfigException(
            f, 0, "the file name is not a module name ([a-z][a-z0-9-]{0,62} followed by .toml)");
      }
      if (modules.has(name)) {
        throw new NodeConfigException(
            f,
            0,
            "module "
                + name
                + " is configured twice: in this file and in [modules."
                + name
                + "] of "
                + mainFile
                + "; keep one");
      }
      modules.set(name, parseRoot(f, bytes(f)));
    }
    return new NodeConfig(merged);
  }

  private static byte[] bytes(Path file) throws NodeConfigException {
    try {
      if (!Files.isRegularFile(file)) {
        throw new NodeConfigException(
            file, 0, Files.exists(file) ? "not a regular file" : "the file does not exist");
      }
      try (InputStream in = Files.newInputStream(file)) {
        return in.readNBytes(MAX_BYTES + 1);
      }
    } catch (NodeConfigException e) {
      throw e;
    } catch (NoSuchFileException e) {
      throw new NodeConfigException(file, 0, "the file does not exist");
    } catch (IOException e) {
      throw new NodeConfigException(file, 0, "cannot read it: " + e.getClass().getSimpleName());
    }
  }

  /** Parses config bytes; {@code file} names them in messages. */
  static NodeConfig parse(Path file, byte[] bytes) throws NodeConfigException {
    ObjectNode r = parseRoot(file, bytes);
    JsonNode modules = r.get(MODULES);
    if (modules != null) {
      if (!modules.isObject()) {
        throw new NodeConfigException(file, 0, "\"" + MODULES + "\" must be a table of tables");
      }
      for (Iterator<Map.Entry<String, JsonNode>> it = modules.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        if (!e.getValue().isObject()) {
          throw new NodeConfigException(
              file, 0, "\"" + MODULES + "." + e.getKey() + "\" must be a table");
        }
      }
    }
    return new NodeConfig(r);
  }

  /** Parses TOML bytes into their root table, bounded and strict. */
  private static ObjectNode parseRoot(Path file, byte[] bytes) throws NodeConfigException {
    if (bytes.length > MAX_BYTES) {
      throw new NodeConfigException(file, 0, "larger than the maximum of " + MAX_BYTES + " bytes");
    }
    if (bytes.length == 0) {
      throw new NodeConfigException(file, 0, "the file is empty (still being written?)");
    }
    JsonNode root;
    try {
      root = TOML.readTree(bytes);
    } catch (JacksonException e) {
      // getOriginalMessage(), never getMessage(): the latter quotes the source text.
      String msg = e.getOriginalMessage();
      if (msg != null && msg.length() > 200) {
        msg = msg.substring(0, 200) + "…";
      }
      throw new NodeConfigException(file, line(e.getLocation()), "not valid TOML: " + msg);
    } catch (IOException e) {
      throw new NodeConfigException(file, 0, "cannot parse it: " + e.getClass().getSimpleName());
    }
    if (root == null || !root.isObject()) {
      throw new NodeConfigException(file, 0, "the root is not a table");
    }
    if (TomlDepth.exceeded(root)) {
      throw new NodeConfigException(file, 0, TomlDepth.problem());
    }
    return (ObjectNode) root;
  }

  /** An empty config (no file configured). */
  static NodeConfig empty() {
    return new NodeConfig(JsonNodeFactory.instance.objectNode());
  }

  /** Jackson's TOML reader reports some errors at the start of the next line. */
  private static int line(JsonLocation loc) {
    if (loc == null || loc.getLineNr() < 1) {
      return 0;
    }
    return loc.getColumnNr() <= 1 && loc.getLineNr() > 1 ? loc.getLineNr() - 1 : loc.getLineNr();
  }

  /** A top-level section (table or value), or null. Callers must not modify it. */
  JsonNode section(String name) {
    return root.get(name);
  }

  /** {@code [modules.<module>]}, or null when the file has none. Callers must not modify it. */
  ObjectNode moduleSection(String module) {
    JsonNode m = root.get(MODULES);
    JsonNode s = m == null ? null : m.get(module);
    return s instanceof ObjectNode o ? o : null;
  }

  /**
   * The sections that differ between {@code this} (old) and {@code next}: top-level names, except
   * that each entry under {@code modules} counts as its own section {@code modules.<name>}. Names
   * only — for logs and {@link ConfigReload}.
   */
  List<String> changedSections(NodeConfig next) {
    Set<String> names = new LinkedHashSet<>();
    root.fieldNames().forEachRemaining(names::add);
    next.root.fieldNames().forEachRemaining(names::add);
    List<String> changed = new ArrayList<>();
    for (String n : names) {
      if (n.equals(MODULES)) {
        // both are tables of tables or absent (parse checked it)
        JsonNode before = orEmpty(root.get(n));
        JsonNode after = orEmpty(next.root.get(n));
        Set<String> mods = new LinkedHashSet<>();
        before.fieldNames().forEachRemaining(mods::add);
        after.fieldNames().forEachRemaining(mods::add);
        for (String m : mods) {
          if (!Objects.equals(before.get(m), after.get(m))) {
            changed.add(MODULES + "." + m);
          }
        }
      } else if (!Objects.equals(root.get(n), next.root.get(n))) {
        changed.add(n);
      }
    }
    return changed;
  }

  private static JsonNode orEmpty(JsonNode n) {
    return n == null ? JsonNodeFactory.instance.objectNode() : n;
  }
}
