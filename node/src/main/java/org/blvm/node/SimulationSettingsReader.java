package org.blvm.node;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Reads {@link SimulationSettings} from node config TOML: the file (bounded), the TOML syntax, the
 * {@code [simulation]} table and each key's type; ranges and cross-field rules are the settings'
 * own checks. Every problem found is reported at once.
 */
final class SimulationSettingsReader {
  private SimulationSettingsReader() {}

  /**
   * Reads the {@code [simulation]} section of the node config {@code file} (at most 1 MiB; other
   * sections are not looked at). A file without the section gives {@link
   * SimulationSettings#DEFAULTS}.
   */
  static SimulationSettings read(Path file) throws SimulationConfigException {
    String source = file.toString();
    byte[] bytes;
    try (InputStream in = Files.newInputStream(file)) {
      bytes = in.readNBytes(SimulationSettings.MAX_FILE_BYTES + 1);
    } catch (NoSuchFileException e) {
      throw single(source, null, "the file does not exist");
    } catch (IOException e) {
      throw single(source, null, "cannot read it: " + e.getClass().getSimpleName());
    }
    if (bytes.length > SimulationSettings.MAX_FILE_BYTES) {
      throw single(
          source,
          null,
          "larger than the maximum of " + SimulationSettings.MAX_FILE_BYTES + " bytes");
    }
    return parse(source, new String(bytes, StandardCharsets.UTF_8));
  }

  /**
   * Parses node config TOML text and returns its {@code [simulation]} section. Strict: unknown
   * keys, wrong types and values out of range are errors, all reported at once; duplicate keys and
   * syntax errors are errors with their line. {@code source} names the text in messages.
   */
  static SimulationSettings parse(String source, String toml) throws SimulationConfigException {
    JsonNode root;
    try {
      root = new TomlMapper().readTree(toml);
    } catch (JacksonException e) {
      // the original message: getMessage() would quote the source text
      String msg = e.getOriginalMessage();
      if (msg != null && msg.length() > 200) {
        msg = msg.substring(0, 200);
      }
      throw new SimulationConfigException(
          source,
          List.of(new SimulationConfigException.Problem(null, line(e), "not valid TOML: " + msg)));
    }
    JsonNode section = root == null ? null : root.get(SimulationSettings.SECTION);
    if (section == null) {
      return SimulationSettings.DEFAULTS;
    }
    List<SimulationConfigException.Problem> problems = new ArrayList<>();
    if (!section.isObject()) {
      throw single(
          source,
          SimulationSettings.SECTION,
          "must be a table ([simulation]), found " + SettingKey.kind(section));
    }
    Map<String, Object> values = SimulationSettings.defaults();
    Iterator<Map.Entry<String, JsonNode>> fields = section.fields();
    while (fields.hasNext()) {
      Map.Entry<String, JsonNode> f = fields.next();
      SettingKey key = SimulationSettings.find(f.getKey());
      if (key == null) {
        problems.add(
            SimulationSettings.problem(
                f.getKey(),
                "unknown key; allowed here: " + String.join(", ", SimulationSettings.names())));
        continue;
      }
      Object v = key.read(f.getValue());
      if (v == null) {
        problems.add(SimulationSettings.problem(key.name, key.typeError(f.getValue())));
      } else {
        values.put(key.name, v);
      }
    }
    if (problems.isEmpty()) {
      problems.addAll(SimulationSettings.check(values.values().toArray()));
    }
    if (!problems.isEmpty()) {
      throw new SimulationConfigException(source, problems);
    }
    return SimulationSettings.fromValues(values);
  }

  private static SimulationConfigException single(String source, String key, String message) {
    return new SimulationConfigException(
        source, List.of(new SimulationConfigException.Problem(key, 0, message)));
  }

  private static int line(JacksonException e) {
    JsonLocation loc = e.getLocation();
    if (loc == null || loc.getLineNr() < 1) {
      return 0;
    }
    // after a complete value the lexer stops at the start of the next line
    return loc.getColumnNr() <= 1 && loc.getLineNr() > 1 ? loc.getLineNr() - 1 : loc.getLineNr();
  }
}
