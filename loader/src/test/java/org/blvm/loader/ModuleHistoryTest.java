package org.blvm.loader;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Clock;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

class ModuleHistoryTest {
  @Test
  void followerAddedFirst_isToldAfterAListenerAddedLater() {
    ModuleHistory h = new ModuleHistory(Clock.systemUTC());
    List<String> told = new CopyOnWriteArrayList<>();
    h.addFollower(c -> told.add("follower " + c.module() + " " + c.to()));
    h.addListener(c -> told.add("listener " + c.module() + " " + c.to()));

    h.changed("base", ModuleState.STARTED, ModuleState.STOPPING, "stop requested");

    assertEquals(List.of("listener base STOPPING", "follower base STOPPING"), told);
  }

  @Test
  void aChangeAFollowerCauses_isToldToListenersAfterItsCause() {
    ModuleHistory h = new ModuleHistory(Clock.systemUTC());
    List<String> told = new CopyOnWriteArrayList<>();
    // as the dependency cascade does: the dependency's stop stops its dependent
    h.addFollower(
        c -> {
          if (c.module().equals("base")) {
            h.changed("leaf", ModuleState.STARTED, ModuleState.STOPPING, "dependency stopped");
          }
        });
    h.addListener(c -> told.add(c.module() + " " + c.to()));

    h.changed("base", ModuleState.STARTED, ModuleState.STOPPING, "stop requested");

    assertEquals(List.of("base STOPPING", "leaf STOPPING"), told);
  }
}
