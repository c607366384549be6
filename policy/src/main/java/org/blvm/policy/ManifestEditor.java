package org.blvm.policy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Rewrites only the pin tables of a manifest's text — {@code [files]} is written, an older {@code
 * [binary]} table is removed — keeping everything else (comments, order) as the author wrote it,
 * and proves the result parses to the same manifest with the new pins.
 */
final class ManifestEditor {
  private static final Pattern PIN_HEADER =
      Pattern.compile("\\s*\\[\\s*(binary|files)\\s*\\]\\s*(#.*)?");
  private static final Pattern ANY_HEADER = Pattern.compile("\\s*\\[.*");

  private ManifestEditor() {}

  /** The {@code [files]} table as {@code blvm-sign sign} writes it: one quoted path per line. */
  static String filesTable(ModuleFiles files) {
    StringBuilder sb = new StringBuilder("[files]\n");
    for (Map.Entry<String, BinaryPin> e : files.pins().entrySet()) {
      sb.append('"')
          .append(e.getKey())
          .append("\" = { sha256 = \"")
          .append(e.getValue().sha256().hex())
          .append("\", size = ")
          .append(e.getValue().size())
          .append(" }\n");
    }
    return sb.toString();
  }

  /**
   * {@code text} with its {@code [files]} table replaced by {@code files} (appended when it has
   * none) and any {@code [binary]} table removed.
   *
   * @throws ManifestException when the pins are written in another form (an inline or dotted {@code
   *     files}/{@code binary} key), or the edit would change anything else
   */
  static String withFiles(Path file, String text, ModuleManifest before, ModuleFiles files)
      throws ManifestException {
    String[] lines = text.split("\n", -1);
    List<String> kept = new ArrayList<>();
    boolean inPins = false;
    int insertAt = -1;
    for (String line : lines) {
      if (PIN_HEADER.matcher(line).matches()) {
        inPins = true;
        if (insertAt < 0) {
          insertAt = kept.size();
        }
        continue;
      }
      if (inPins && ANY_HEADER.matcher(line).matches()) {
        inPins = false;
      }
      if (!inPins) {
        kept.add(line);
      }
    }
    if (insertAt < 0 && (before.files() != null || before.binary() != null)) {
      throw new ManifestException(
          file,
          before.files() != null ? "files" : "binary",
          "write the pins as a [files] table so blvm-sign can update them");
    }
    String table = filesTable(files);
    StringBuilder sb = new StringBuilder();
    if (insertAt < 0) {
      sb.append(text);
      if (!text.isEmpty() && !text.endsWith("\n")) {
        sb.append('\n');
      }
      if (!text.isEmpty()) {
        sb.append('\n');
      }
      sb.append(table);
    } else {
      for (int i = 0; i < insertAt; i++) {
        sb.append(kept.get(i)).append('\n');
      }
      sb.append(table);
      if (insertAt < kept.size()) {
        List<String> rest = kept.subList(insertAt, kept.size());
        // the line after the removed tables: keep a blank line before the next table
        if (!rest.isEmpty() && !rest.get(0).isBlank()) {
          sb.append('\n');
        }
        sb.append(String.join("\n", rest));
      }
    }
    String out = sb.toString();
    ModuleManifest after = ModuleManifest.parse(file, out.getBytes(StandardCharsets.UTF_8));
    if (!files.equals(after.files())
        || after.binary() != null
        || !withoutPins(after).equals(withoutPins(before))) {
      throw new ManifestException(
          file, "files", "could not update the pins without changing other keys; edit it by hand");
    }
    return out;
  }

  private static ModuleManifest withoutPins(ModuleManifest m) {
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
        m.sandboxProfile(),
        null,
        m.args(),
        m.dataVersion(),
        m.subscribes());
  }
}
