package org.blvm.policy;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * A module index (TOML): its name, a version that only grows, an expiry, and one entry per module
 * version with the path of its directory (relative to the index's directory or a mirror) and the
 * SHA-256 of its files ({@link IndexDigest}). Parsed strictly: unknown, missing or duplicate keys,
 * wrong types, paths that could leave the directory and anything over a bound are refused naming
 * the key (and the entry's module and version). The reference is docs/lifecycle.md, "Index".
 *
 * <pre>
 * name = "main"
 * version = 7
 * expires = "2027-01-07T00:00:00Z"
 * [[modules]]
 * name = "fee-watch"
 * version = "1.2.0"
 * path = "fee-watch-1.2.0"
 * sha256 = "…64 hex digits…"
 * description = "watches fee rates"
 * </pre>
 */
public record ModuleIndex(String name, long version, Instant expires, List<Entry> entries) {
  /** Largest accepted index file. */
  public static final int MAX_BYTES = 1024 * 1024;

  /** Most entries in one index. */
  public static final int MAX_ENTRIES = 4096;

  /** Longest description. */
  public static final int MAX_DESCRIPTION = 512;

  /** The prefix of an index signature's trusted comment: the domain separation. */
  public static final String COMMENT_PREFIX = "blvm-index/1 ";

  static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}");
  static final Pattern MODULE_NAME = Pattern.compile("[a-z][a-z0-9-]{0,62}");
  private static final Set<String> ROOT_KEYS =
      new TreeSet<>(List.of("name", "version", "expires", "modules"));
  private static final Set<String> ENTRY_KEYS =
      new TreeSet<>(List.of("name", "version", "path", "sha256", "description"));

  /**
   * One module version the index offers.
   *
   * @param path its directory, relative ({@code /}-separated, no {@code .} or {@code ..})
   * @param sha256 the digest of its files ({@link IndexDigest})
   * @param description free text, or empty
   */
  public record Entry(String name, SemVer version, String path, Sha256 sha256, String description) {
    public Entry {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(version, "version");
      Objects.requireNonNull(path, "path");
      Objects.requireNonNull(sha256, "sha256");
      Objects.requireNonNull(description, "description");
    }
  }

  public ModuleIndex {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(expires, "expires");
    entries = List.copyOf(entries);
  }

  /** The trusted comment every signature over this index must carry. */
  public String trustedComment() {
    return COMMENT_PREFIX + "name=" + name + " version=" + version + " expires=" + expires;
  }

  /** Parses index bytes; {@code file} names them in refusals. */
  public static ModuleIndex parse(Path file, byte[] bytes) throws IndexException {
    if (bytes.length > MAX_BYTES) {
      throw bad(file, null, null, IndexException.Rule.TOO_LARGE, "larger than " + MAX_BYTES);
    }
    JsonNode root;
    try {
      root = new TomlMapper().readTree(bytes);
    } catch (JacksonException e) {
      throw bad(file, null, null, "not valid TOML: " + e.getOriginalMessage());
    } catch (IOException e) {
      throw bad(file, null, null, "cannot read: " + e.getMessage());
    }
    if (root == null || !root.isObject()) {
      throw bad(file, null, null, "empty index");
    }
    if (TomlDepth.exceeded(root)) {
      throw bad(file, null, null, TomlDepth.problem());
    }
    unknownKeys(file, root, "", ROOT_KEYS, null, null);
    String name = text(file, root, "name", null, null, true);
    if (!NAME.matcher(name).matches()) {
      throw bad(
          file, null, null, "key \"name\": must match " + NAME.pattern() + ": " + quote(name));
    }
    JsonNode v = root.get("version");
    if (v == null || !v.isIntegralNumber() || !v.canConvertToLong() || v.longValue() < 1) {
      throw bad(file, null, null, "key \"version\": must be an integer of at least 1, found " + v);
    }
    Instant expires = instant(file, text(file, root, "expires", null, null, true), "expires");
    JsonNode mods = root.get("modules");
    List<Entry> entries = new ArrayList<>();
    if (mods != null) {
      if (!mods.isArray()) {
        throw bad(file, null, null, "key \"modules\": must be an array of tables: [[modules]]");
      }
      if (mods.size() > MAX_ENTRIES) {
        throw bad(
            file,
            null,
            null,
            IndexException.Rule.TOO_LARGE,
            "key \"modules\": " + mods.size() + " entries, at most " + MAX_ENTRIES);
      }
      Set<String> seen = new HashSet<>();
      for (int i = 0; i < mods.size(); i++) {
        Entry e = entry(file, mods.get(i), "modules[" + i + "]");
        if (!seen.add(e.name() + " " + e.version())) {
          throw bad(file, e.name(), e.version().toString(), "listed twice");
        }
        entries.add(e);
      }
    }
    return new ModuleIndex(name, v.longValue(), expires, entries);
  }

  private static Entry entry(Path file, JsonNode n, String at) throws IndexException {
    if (!n.isObject()) {
      throw bad(file, null, null, "key \"" + at + "\": must be a table");
    }
    // the name and version first, so that every later refusal can name them
    String name = text(file, n, "name", at, null, true);
    if (!MODULE_NAME.matcher(name).matches()) {
      throw bad(
          file,
          null,
          null,
          "key \"" + at + ".name\": must match " + MODULE_NAME.pattern() + ": " + quote(name));
    }
    String vs = text(file, n, "version", at, name, true);
    SemVer version;
    try {
      version = SemVer.parse(vs);
    } catch (IllegalArgumentException e) {
      throw bad(file, name, null, "key \"" + at + ".version\": " + e.getMessage());
    }
    String ver = version.toString();
    unknownKeys(file, n, at, ENTRY_KEYS, name, ver);
    String path = text(file, n, "path", at, name, true);
    String problem = ModuleFiles.pathProblem(path);
    if (problem != null) {
      throw new IndexException(
          file,
          name,
          ver,
          IndexException.Rule.PATH,
          "key \"" + at + ".path\": " + quote(path) + ": " + problem);
    }
    String hex = text(file, n, "sha256", at, name, true);
    Sha256 sha;
    try {
      sha = Sha256.parse(hex);
    } catch (IllegalArgumentException e) {
      throw bad(file, name, ver, "key \"" + at + ".sha256\": must be 64 hex digits: " + quote(hex));
    }
    String description = text(file, n, "description", at, name, false);
    if (description == null) {
      description = "";
    }
    if (description.length() > MAX_DESCRIPTION || description.chars().anyMatch(c -> c < 0x20)) {
      throw bad(
          file,
          name,
          ver,
          "key \""
              + at
              + ".description\": at most "
              + MAX_DESCRIPTION
              + " characters on one line, without control characters");
    }
    return new Entry(name, version, path, sha, description);
  }

  /** The index as TOML, as {@link #parse} reads it back. */
  public String toToml() {
    StringBuilder sb = new StringBuilder();
    sb.append("name = ").append(quote(name)).append('\n');
    sb.append("version = ").append(version).append('\n');
    sb.append("expires = ").append(quote(expires.toString())).append('\n');
    for (Entry e : entries) {
      sb.append("\n[[modules]]\n");
      sb.append("name = ").append(quote(e.name())).append('\n');
      sb.append("version = ").append(quote(e.version().toString())).append('\n');
      sb.append("path = ").append(quote(e.path())).append('\n');
      sb.append("sha256 = ").append(quote(e.sha256().hex())).append('\n');
      if (!e.description().isEmpty()) {
        sb.append("description = ").append(quote(e.description())).append('\n');
      }
    }
    return sb.toString();
  }

  /** A TOML basic string (also the form messages quote found values in). */
  static String quote(String s) {
    StringBuilder sb = new StringBuilder("\"");
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '"' || c == '\\') {
        sb.append('\\').append(c);
      } else if (c < 0x20 || c == 0x7f) {
        sb.append(String.format("\\u%04X", (int) c));
      } else {
        sb.append(c);
      }
    }
    return sb.append('"').toString();
  }

  static Instant instant(Path file, String s, String key) throws IndexException {
    String t =
        s.length() > 10 && s.charAt(10) == ' ' ? s.substring(0, 10) + "T" + s.substring(11) : s;
    try {
      return OffsetDateTime.parse(t).toInstant();
    } catch (DateTimeParseException e) {
      throw bad(
          file,
          null,
          null,
          "key \""
              + key
              + "\": must be a date-time with an offset, like 2027-01-01T00:00:00Z: "
              + quote(s));
    }
  }

  private static String text(
      Path file, JsonNode n, String field, String at, String module, boolean required)
      throws IndexException {
    String key = at == null ? field : at + "." + field;
    JsonNode v = n.get(field);
    if (v == null) {
      if (required) {
        throw bad(file, module, null, "key \"" + key + "\": missing");
      }
      return null;
    }
    if (!v.isTextual()) {
      throw bad(file, module, null, "key \"" + key + "\": must be a string, found " + v);
    }
    return v.textValue();
  }

  private static void unknownKeys(
      Path file, JsonNode n, String at, Set<String> allowed, String module, String version)
      throws IndexException {
    for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
      String k = it.next();
      if (!allowed.contains(k)) {
        throw bad(
            file,
            module,
            version,
            "key \""
                + (at.isEmpty() ? k : at + "." + k)
                + "\": unknown key; allowed here: "
                + String.join(", ", allowed));
      }
    }
  }

  private static IndexException bad(Path file, String module, String version, String detail) {
    return bad(file, module, version, IndexException.Rule.MALFORMED, detail);
  }

  private static IndexException bad(
      Path file, String module, String version, IndexException.Rule rule, String detail) {
    return new IndexException(file, module, version, rule, detail);
  }
}
