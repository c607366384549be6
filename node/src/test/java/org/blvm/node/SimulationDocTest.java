package org.blvm.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Keeps docs/simulation.md's settings table and docs/config.md's example true. */
class SimulationDocTest {
  private static String doc(String name) throws Exception {
    return Files.readString(Paths.get("").toAbsolutePath().getParent().resolve("docs/" + name));
  }

  @Test
  void settingsTable_everyKeyInOrderWithItsDefault() throws Exception {
    String doc = doc("simulation.md");
    String table = doc.substring(doc.indexOf("## Settings: `[simulation]`"));
    table = table.substring(0, table.indexOf("\n## "));
    List<String> keys = new ArrayList<>();
    SimulationSettings d = SimulationSettings.DEFAULTS;
    for (String line : table.split("\n")) {
      if (!line.startsWith("| `")) {
        continue;
      }
      String[] cells = line.split("\\|");
      String key = cells[1].strip().replace("`", "");
      String dflt = cells[3].strip().replace("`", "").replace("\"", "");
      keys.add(key);
      Object actual = component(d, key);
      if (actual instanceof String s) {
        assertEquals(s, dflt, key);
      } else {
        double v =
            dflt.startsWith("0x")
                ? Long.parseLong(dflt.substring(2), 16)
                : Double.parseDouble(dflt);
        assertEquals(((Number) actual).doubleValue(), v, key);
      }
    }
    assertEquals(SimulationSettings.names(), keys);
  }

  @Test
  void configExample_parses() throws Exception {
    String doc = doc("config.md");
    String section = doc.substring(doc.indexOf("## `[simulation]`"));
    String toml =
        section.substring(
            section.indexOf("```toml\n") + 8,
            section.indexOf("```\n", section.indexOf("```toml\n") + 8));
    SimulationSettings s = SimulationSettings.parse("config.md", toml);
    assertEquals(7, s.seed());
    assertEquals(1_767_225_600L, s.startTime());
    assertEquals(30.0, s.blockIntervalSeconds());
    assertTrue(s.reorgProbability() > 0);
  }

  private static Object component(SimulationSettings s, String key) throws Exception {
    for (var rc : SimulationSettings.class.getRecordComponents()) {
      String snake =
          rc.getName().replaceAll("([a-z0-9])([A-Z])", "$1_$2").toLowerCase(java.util.Locale.ROOT);
      if (snake.equals(key)) {
        return rc.getAccessor().invoke(s);
      }
    }
    throw new AssertionError("no component for " + key);
  }
}
