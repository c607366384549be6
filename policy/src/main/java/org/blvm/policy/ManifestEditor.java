package org.blvm.policy;

import java.nio.file.Path;
import java.util.regex.Pattern;

/**
 * Rewrites only the {@code [binary]} table of a manifest's text, keeping everything else (comments,
 * order) as the author wrote it, and proves the result parses to the same manifest with the new
 * pin.
 */
final class ManifestEditor {
  private static final Pattern BINARY_HEADER =
      Pattern.compile("\\s*\\[\\s*binary\\s*\\]\\s*(#.*)?");
  private static final Pattern ANY_HEADER = Pattern.compile("\\s*\\[.*");

  private ManifestEditor() {}

  static String withPin(Path file, String text, ModuleManifest before, BinaryPin pin)
      throws ManifestException {
    String table = "[binary]\nsha256 = \"" + pin.sha256().hex() + "\"\nsize = " + pin.size() + "\n";
    String[] lines = text.split("\n", -1);
    int start = -1;
    for (int i = 0; i < lines.length; i++) {
      if (BINARY_HEADER.matcher(lines[i]).matches()) {
        start = i;
        break;
      }
    }
    StringBuilder sb = new StringBuilder();
    if (start < 0) {
      if (before.binary() != null) {
        throw new ManifestException(
            file, "binary", "write the pin as a [binary] table so blvm-sign can update it");
      }
      sb.append(text);
      if (!text.isEmpty() && !text.endsWith("\n")) {
        sb.append('\n');
      }
      if (!text.isEmpty()) {
        sb.append('\n');
      }
      sb.append(table);
    } else {
      int end = lines.length;
      for (int i = start + 1; i < lines.length; i++) {
        if (ANY_HEADER.matcher(lines[i]).matches()) {
          end = i;
          break;
        }
      }
      for (int i = 0; i < start; i++) {
        sb.append(lines[i]).append('\n');
      }
      sb.append(table);
      if (end < lines.length) {
        sb.append('\n');
        for (int i = end; i < lines.length; i++) {
          sb.append(lines[i]);
          if (i < lines.length - 1) {
            sb.append('\n');
          }
        }
      }
    }
    String out = sb.toString();
    ModuleManifest after =
        ModuleManifest.parse(file, out.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    if (!pin.equals(after.binary()) || !withoutPin(after).equals(withoutPin(before))) {
      throw new ManifestException(
          file, "binary", "could not update the pin without changing other keys; edit it by hand");
    }
    return out;
  }

  private static ModuleManifest withoutPin(ModuleManifest m) {
    return new ModuleManifest(
        m.name(),
        m.version(),
        m.description(),
        m.runtime(),
        m.entry(),
        m.mainClass(),
        m.capabilities(),
        m.provides(),
        m.config(),
        null,
        m.publishes(),
        m.dependencies(),
        m.sandboxProfile());
  }
}
