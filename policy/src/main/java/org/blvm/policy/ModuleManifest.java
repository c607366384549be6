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
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.blvm.protocol.Capability;
import org.blvm.protocol.EventType;

/**
 * A module's {@code module.toml}: who it is, how to run it, what it asks for. Parsed strictly:
 * unknown keys, wrong types and oversized files are {@link ManifestException}s naming the key.
 * (Over 400 lines: the record and the strict parser of each of its keys stay together; the pin
 * tables are parsed by {@link ManifestPins}.)
 *
 * <p>The manifest is what module authors sign (see docs/signing.md): it pins every file of the
 * module directory by SHA-256 and size in its {@code [files]} table (an older manifest pins only
 * its entry, in a {@code [binary]} table). {@link #read} and {@link #parse} only check form; a
 * manifest is trusted only after {@link Admission} has verified its signatures over the exact bytes
 * it then parses.
 *
 * @param entry the file that runs (a native program, a jar, a script), as a path relative to the
 *     module directory
 * @param binary the older single-file pin ({@code [binary]}: the entry only), or null
 * @param publishes custom event topics the module publishes
 * @param dependencies modules this one needs, with acceptable versions
 * @param sandboxProfile the sandbox profile the module asks for, or null for the policy's choice
 * @param files every file of the module ({@code [files]}), or null; never together with {@code
 *     binary}. Without either the manifest is an unsigned development manifest ({@link Admission}
 *     requires one of them from a signed module)
 * @param args the entry's arguments, passed to the program after it
 * @param dataVersion the version of the module's data layout ({@code data_version}, 0 when not
 *     declared): the loader never starts a version whose data version is lower than the highest
 *     that ran with the module's data (docs/lifecycle.md)
 * @param subscribes core event types whose first occurrence launches the module when its policy
 *     starts it on demand (names from the event catalog)
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
    JsonNode config,
    BinaryPin binary,
    List<String> publishes,
    List<Dependency> dependencies,
    String sandboxProfile,
    ModuleFiles files,
    List<String> args,
    int dataVersion,
    List<String> subscribes) {

  /** Largest accepted manifest. */
  public static final int MAX_BYTES = 64 * 1024;

  private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9-]{0,62}");
  private static final Pattern TOPIC =
      Pattern.compile("[a-z0-9_-]{1,64}(\\.[a-z0-9_-]{1,64}){1,4}");
  private static final Pattern PROFILE = Pattern.compile("[a-z][a-z0-9_-]{0,31}");
  private static final int MAX_LIST = 256;

  /** At most this many entry arguments, each of at most {@link #MAX_ARG_LENGTH} characters. */
  public static final int MAX_ARGS = 64;

  public static final int MAX_ARG_LENGTH = 4096;

  /** The highest {@code data_version} a manifest may declare. */
  public static final int MAX_DATA_VERSION = 1_000_000_000;

  /** Largest binary a manifest may pin (4 GiB). */
  public static final long MAX_BINARY_SIZE = 4L << 30;

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
          "config",
          "binary",
          "publishes",
          "dependencies",
          "sandbox_profile",
          "files",
          "args",
          "data_version",
          "subscribes");

  /** How the entry is run. */
  public enum Runtime {
    /** A jar run by the node's JDK. */
    JAVA("java"),
    /** A native executable. */
    NATIVE("native"),
    /** A Python script run by the node's CPython 3 interpreter. */
    PYTHON3("python3"),
    /** A JavaScript file run by the node's Node.js. */
    NODE("node");

    private final String wireName;

    Runtime(String wireName) {
      this.wireName = wireName;
    }

    /** The name in {@code module.toml}. */
    public String wireName() {
      return wireName;
    }

    /** Whether an interpreter the loader names runs the entry (python3, node). */
    public boolean interpreted() {
      return this == PYTHON3 || this == NODE;
    }

    /** The runtime named {@code name} in a manifest. */
    public static Optional<Runtime> fromWire(String name) {
      for (Runtime r : values()) {
        if (r.wireName.equals(name)) {
          return Optional.of(r);
        }
      }
      return Optional.empty();
    }
  }

  public ModuleManifest {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(version, "version");
    Objects.requireNonNull(runtime, "runtime");
    Objects.requireNonNull(entry, "entry");
    capabilities = Set.copyOf(capabilities);
    provides = List.copyOf(provides);
    config = config == null ? JsonNodeFactory.instance.objectNode() : config.deepCopy();
    publishes = publishes == null ? List.of() : List.copyOf(publishes);
    dependencies = dependencies == null ? List.of() : List.copyOf(dependencies);
    args = args == null ? List.of() : List.copyOf(args);
    subscribes = subscribes == null ? List.of() : List.copyOf(subscribes);
    if (binary != null && files != null) {
      throw new IllegalArgumentException("a manifest pins its files or its binary, not both");
    }
    if (dataVersion < 0 || dataVersion > MAX_DATA_VERSION) {
      throw new IllegalArgumentException("dataVersion out of range: " + dataVersion);
    }
  }

  /**
   * The module's pinned files: {@link #files()}, or the entry alone when the manifest pins only its
   * binary; null when it pins nothing.
   */
  public ModuleFiles tree() {
    if (files != null) {
      return files;
    }
    return binary == null ? null : ModuleFiles.single(entry, binary);
  }

  /** The version as an ordered value (the text was validated when parsed). */
  public SemVer semVer() {
    return SemVer.parse(version);
  }

  /** The dependency on {@code module}, if declared. */
  public Optional<Dependency> dependency(String module) {
    return dependencies.stream().filter(d -> d.name().equals(module)).findFirst();
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
      throw new ManifestException(
          file,
          null,
          "not valid TOML"
              + (TomlLines.errorLine(e.getLocation()) == 0
                  ? ""
                  : " at line " + TomlLines.errorLine(e.getLocation()))
              + ": "
              + e.getOriginalMessage(),
          e);
    } catch (IOException e) {
      throw new ManifestException(file, null, "not valid TOML: " + e.getMessage(), e);
    }
    if (root == null || !root.isObject()) {
      throw new ManifestException(file, null, "empty manifest");
    }
    if (TomlDepth.exceeded(root)) {
      throw new ManifestException(file, null, TomlDepth.problem());
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
    String versionProblem = SemVer.problem(version);
    if (versionProblem != null) {
      throw new ManifestException(file, "version", "\"" + version + "\" " + versionProblem);
    }
    String description = text(file, root, "description", false);
    String runtimeText = text(file, root, "runtime", true);
    Runtime runtime =
        Runtime.fromWire(runtimeText)
            .orElseThrow(
                () ->
                    new ManifestException(
                        file,
                        "runtime",
                        "must be \"java\", \"native\", \"python3\" or \"node\", found \""
                            + runtimeText
                            + "\""));
    String entry = text(file, root, "entry", true);
    String entryProblem = ModuleFiles.pathProblem(entry);
    if (entryProblem != null) {
      throw new ManifestException(
          file,
          "entry",
          "must be a file of the module directory, found \"" + entry + "\": " + entryProblem);
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
    BinaryPin binary = ManifestPins.binary(file, root.get("binary"));
    ModuleFiles files = ManifestPins.files(file, root.get("files"));
    if (binary != null && files != null) {
      throw new ManifestException(
          file,
          "binary",
          "a manifest pins its files ([files]) or, in the older form, its binary ([binary]), not"
              + " both");
    }
    if (files != null && files.pin(entry).isEmpty()) {
      throw new ManifestException(
          file, "entry", "\"" + entry + "\" is not one of the files pinned in [files]");
    }
    List<String> args = textList(file, root, "args");
    if (args.size() > MAX_ARGS) {
      throw new ManifestException(file, "args", "more than " + MAX_ARGS + " arguments");
    }
    for (String a : args) {
      if (a.length() > MAX_ARG_LENGTH || a.indexOf(0) >= 0) {
        throw new ManifestException(
            file,
            "args",
            "each argument must be at most " + MAX_ARG_LENGTH + " characters without NUL");
      }
    }
    List<String> publishes = textList(file, root, "publishes");
    Set<String> topics = new LinkedHashSet<>();
    for (String t : publishes) {
      if (!TOPIC.matcher(t).matches() || EventType.fromWire(t).isPresent()) {
        throw new ManifestException(
            file,
            "publishes",
            "must be a custom dotted topic like \"lightning.invoice_paid\" (not a core event),"
                + " found \""
                + t
                + "\"");
      }
      if (!topics.add(t)) {
        throw new ManifestException(file, "publishes", "\"" + t + "\" is listed twice");
      }
    }
    List<Dependency> dependencies =
        ManifestDependencies.parse(file, root.get("dependencies"), name, NAME, MAX_LIST);
    String profile = text(file, root, "sandbox_profile", false);
    if (profile != null && !PROFILE.matcher(profile).matches()) {
      throw new ManifestException(
          file,
          "sandbox_profile",
          "must match " + PROFILE.pattern() + ", found \"" + profile + "\"");
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
        config == null ? JsonNodeFactory.instance.objectNode() : (ObjectNode) config,
        binary,
        publishes,
        dependencies,
        profile,
        files,
        args,
        ManifestDataVersion.parse(file, root.get("data_version")),
        subscribes(file, root));
  }

  /**
   * {@code subscribes}: core event types from the catalog, each once; not ConfigLoaded or
   * EventsDropped, which the loader sends to each module itself.
   */
  private static List<String> subscribes(Path file, JsonNode root) throws ManifestException {
    List<String> types = textList(file, root, "subscribes");
    Set<String> seen = new LinkedHashSet<>();
    for (String t : types) {
      Optional<EventType> e = EventType.fromWire(t);
      if (e.isEmpty()) {
        throw new ManifestException(
            file, "subscribes", "\"" + t + "\" is not an event type of the catalog");
      }
      if (e.get() == EventType.ConfigLoaded || e.get() == EventType.EventsDropped) {
        throw new ManifestException(
            file,
            "subscribes",
            "\"" + t + "\" is sent to each module by the loader and cannot start one");
      }
      if (!seen.add(t)) {
        throw new ManifestException(file, "subscribes", "\"" + t + "\" is listed twice");
      }
    }
    return types;
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
    if (n.size() > MAX_LIST) {
      throw new ManifestException(file, key, "more than " + MAX_LIST + " entries");
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
