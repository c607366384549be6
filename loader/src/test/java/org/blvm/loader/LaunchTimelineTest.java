package org.blvm.loader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LaunchTimelineTest {
  @Test
  void describe_listsStepsInOrder_withTheLaunchersSteps_andTheProcessCount() {
    LaunchTimeline t = new LaunchTimeline("m");
    t.mark("dirs");
    Map<String, Long> launcher = new LinkedHashMap<>();
    launcher.put("seccomp", System.nanoTime());
    launcher.put("spawned", System.nanoTime());
    t.launched(launcher, 2);
    t.mark("launched");
    t.report("welcome");
    String d = t.describe();
    assertTrue(
        d.matches(
            "dirs=\\d+\\.\\d\\d seccomp=\\d+\\.\\d\\d spawned=\\d+\\.\\d\\d launched=\\d+\\.\\d\\d"
                + " welcome=\\d+\\.\\d\\d processes=2"),
        d);
  }

  @Test
  void stepsAfterTheReport_andBeyondTheBound_areNotKept() {
    LaunchTimeline t = new LaunchTimeline("m");
    for (int i = 0; i < LaunchTimeline.MAX_STEPS + 10; i++) {
      t.mark("s" + i);
    }
    t.report("welcome");
    t.mark("connected"); // a second connection of the same launch
    t.report("welcome");
    String d = t.describe();
    assertEquals(LaunchTimeline.MAX_STEPS + 1, d.split(" ").length, d);
    assertTrue(!d.contains("connected") && !d.contains("welcome"), d);
  }
}
