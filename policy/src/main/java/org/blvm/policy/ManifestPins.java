package org.blvm.policy;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The pin tables of a {@code module.toml}, parsed strictly: {@code [files]} (path → {@code {sha256,
 * size}}) and the older {@code [binary]} ({@code {sha256, size}} of the entry alone). Errors are
 * {@link ManifestException}s naming the dotted key.
 */
final class ManifestPins {
  private static final Set<String> PIN_KEYS = Set.of("sha256", "size");

  private ManifestPins() {}

  /** The {@code [files]} table {@code n}, or null when absent. */
  static ModuleFiles files(Path file, JsonNode n) throws ManifestException {
    if (n == null) {
      return null;
    }
    if (!n.isObject()) {
      throw new ManifestException(
          file, "files", "must be a table of \"path\" = { sha256 = \"…\", size = N }");
    }
    if (n.size() > ModuleFiles.MAX_FILES) {
      throw new ManifestException(file, "files", "more than " + ModuleFiles.MAX_FILES + " files");
    }
    TreeMap<String, BinaryPin> pins = new TreeMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      String key = "files." + e.getKey();
      String problem = ModuleFiles.pathProblem(e.getKey());
      if (problem != null) {
        throw new ManifestException(
            file, key, "not a module file path (quote each path): " + problem);
      }
      pins.put(e.getKey(), pin(file, key, e.getValue()));
    }
    try {
      return new ModuleFiles(pins);
    } catch (IllegalArgumentException e) {
      throw new ManifestException(file, "files", e.getMessage());
    }
  }

  /** The {@code [binary]} table {@code n}, or null when absent. */
  static BinaryPin binary(Path file, JsonNode n) throws ManifestException {
    return n == null ? null : pin(file, "binary", n);
  }

  /** A {@code { sha256, size }} table at dotted key {@code at}. */
  private static BinaryPin pin(Path file, String at, JsonNode n) throws ManifestException {
    if (!n.isObject()) {
      throw new ManifestException(file, at, "must be a table with sha256 and size");
    }
    for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
      String key = it.next();
      if (!PIN_KEYS.contains(key)) {
        throw new ManifestException(
            file, at + "." + key, "unknown key; allowed: " + String.join(", ", PIN_KEYS));
      }
    }
    JsonNode sha = n.get("sha256");
    if (sha == null || !sha.isTextual()) {
      throw new ManifestException(
          file, at + ".sha256", sha == null ? "missing" : "must be a string");
    }
    Sha256 digest;
    try {
      digest = Sha256.parse(sha.textValue());
    } catch (IllegalArgumentException e) {
      throw new ManifestException(file, at + ".sha256", e.getMessage());
    }
    JsonNode size = n.get("size");
    if (size == null) {
      throw new ManifestException(file, at + ".size", "missing");
    }
    if (!size.isIntegralNumber()
        || !size.canConvertToLong()
        || size.longValue() < 0
        || size.longValue() > ModuleManifest.MAX_BINARY_SIZE) {
      throw new ManifestException(
          file,
          at + ".size",
          "must be an integer from 0 to " + ModuleManifest.MAX_BINARY_SIZE + ", found " + size);
    }
    return new BinaryPin(digest, size.longValue());
  }
}
