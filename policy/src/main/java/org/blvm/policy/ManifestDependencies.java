package org.blvm.policy;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/** The {@code [dependencies]} table of a manifest (docs/lifecycle.md, "Dependencies"). */
final class ManifestDependencies {
  private ManifestDependencies() {}

  /**
   * Parses the {@code [dependencies]} table {@code n} (null: none) of module {@code self}'s
   * manifest {@code file}: each key a module name matching {@code name}, other than {@code self};
   * each value a range string or a table of {@code version} and {@code optional}; at most {@code
   * max} entries.
   *
   * @throws ManifestException naming the key that is wrong
   */
  static List<Dependency> parse(Path file, JsonNode n, String self, Pattern name, int max)
      throws ManifestException {
    List<Dependency> out = new ArrayList<>();
    if (n == null) {
      return out;
    }
    if (!n.isObject()) {
      throw new ManifestException(
          file, "dependencies", "must be a table of module name = \"version range\"");
    }
    if (n.size() > max) {
      throw new ManifestException(file, "dependencies", "more than " + max + " entries");
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      String key = "dependencies." + e.getKey();
      if (!name.matcher(e.getKey()).matches() || e.getKey().equals(self)) {
        throw new ManifestException(file, key, "must name another module (" + name.pattern() + ")");
      }
      JsonNode v = e.getValue();
      boolean optional = false;
      if (v.isObject()) {
        for (Iterator<String> k = v.fieldNames(); k.hasNext(); ) {
          String f = k.next();
          if (!f.equals("version") && !f.equals("optional")) {
            throw new ManifestException(
                file, key + "." + f, "unknown key (a dependency has version and optional)");
          }
        }
        JsonNode opt = v.get("optional");
        if (opt != null && !opt.isBoolean()) {
          throw new ManifestException(file, key + ".optional", "must be true or false");
        }
        optional = opt != null && opt.booleanValue();
        v = v.get("version");
        if (v == null) {
          throw new ManifestException(file, key + ".version", "missing");
        }
      }
      if (!v.isTextual()) {
        throw new ManifestException(
            file,
            key,
            "must be a version range string like \">=1.0.0, <2.0.0\" or"
                + " {version = \"RANGE\", optional = true}");
      }
      try {
        out.add(new Dependency(e.getKey(), VersionRange.parse(v.textValue()), optional));
      } catch (IllegalArgumentException ex) {
        throw new ManifestException(file, key, "not a version range: " + ex.getMessage());
      }
    }
    return out;
  }
}
