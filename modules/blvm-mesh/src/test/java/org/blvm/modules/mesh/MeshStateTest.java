package org.blvm.modules.mesh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MeshStateTest {
  @TempDir Path dir;

  private static MeshNode node(String id) {
    return new MeshNode(id, new MeshNodeTest.RecordingHost(), () -> 8);
  }

  @Test
  void write_thenRestore_countersSurvive_routesListed() throws Exception {
    MeshNode a = node("a");
    a.table().linkUp("b");
    a.routed.set(3);
    a.forwarded.set(2);
    a.delivered.set(1);
    a.dropped.set(4);
    MeshState state = new MeshState(dir);

    state.write(MeshState.snapshot(a));
    MeshNode again = node("a");
    state.restore(again);

    assertEquals(3, again.routed.get());
    assertEquals(2, again.forwarded.get());
    assertEquals(1, again.delivered.get());
    assertEquals(4, again.dropped.get());
    assertEquals(
        "{\"destination\":\"b\",\"next_hop\":\"b\",\"hops\":1}",
        new ObjectMapper()
            .readTree(dir.resolve(MeshState.FILE).toFile())
            .get("routes")
            .get(0)
            .toString());
    assertTrue(again.table().routes().isEmpty(), "routes are not read back");
  }

  @Test
  void restore_noFile_startsAtZero_unreadableOrTooLarge_refusedAndMovedAside() throws Exception {
    MeshState state = new MeshState(dir);
    MeshNode a = node("a");
    state.restore(a);
    assertEquals(0, a.routed.get());

    Files.writeString(dir.resolve(MeshState.FILE), "{not json");
    assertThrows(IOException.class, () -> state.restore(a));
    state.moveAside();
    assertTrue(Files.exists(dir.resolve(MeshState.FILE + ".bad")));
    assertFalse(Files.exists(dir.resolve(MeshState.FILE)));

    Files.write(dir.resolve(MeshState.FILE), new byte[(int) MeshState.MAX_BYTES + 1]);
    IOException e = assertThrows(IOException.class, () -> state.restore(a));
    assertTrue(e.getMessage().contains("over 1048576"), e.getMessage());
  }
}
