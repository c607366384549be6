package org.blvm.modules.stratum;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StateStoreTest {
  @TempDir Path dir;

  @Test
  void save_thenLoad_sameDocumentNoTemporaryLeft() throws Exception {
    List<String> problems = new ArrayList<>();
    ObjectNode s = JsonNodeFactory.instance.objectNode();
    s.put("next_job_id", 42);
    s.putArray("recent_blocks").add("00ff");
    try (StateStore store = new StateStore(dir, problems::add)) {
      store.save(s);
    }
    assertEquals(s, new StateStore(dir, problems::add).load());
    assertFalse(Files.exists(dir.resolve(StateStore.FILE + ".tmp")));
    assertEquals(List.of(), problems);
  }

  @Test
  void load_none_emptyWithoutProblem() {
    List<String> problems = new ArrayList<>();
    assertEquals(0, new StateStore(dir, problems::add).load().size());
    assertEquals(List.of(), problems);
  }

  @Test
  void load_garbageOrOversized_emptyAndReported() throws Exception {
    List<String> problems = new ArrayList<>();
    Files.writeString(dir.resolve(StateStore.FILE), "{not json");
    assertEquals(0, new StateStore(dir, problems::add).load().size());
    Files.write(dir.resolve(StateStore.FILE), new byte[(int) StateStore.MAX_BYTES + 1]);
    assertEquals(0, new StateStore(dir, problems::add).load().size());
    assertEquals(2, problems.size(), problems.toString());
    assertTrue(problems.get(0).startsWith("stratum-state.json unreadable"), problems.get(0));
    assertTrue(problems.get(1).contains("over 65536"), problems.get(1));
  }
}
