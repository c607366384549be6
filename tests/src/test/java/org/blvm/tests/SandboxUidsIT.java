package org.blvm.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.blvm.demo.SimulatedChain;
import org.blvm.loader.ModuleManager;
import org.blvm.loader.ModuleState;
import org.blvm.protocol.EventType;
import org.blvm.sandbox.ResourceLimits;
import org.blvm.sandbox.SandboxOptions;
import org.blvm.sandbox.UidRange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One host uid per module when the loader is root: a module holding its whole process quota does
 * not keep another from launching, connecting and receiving every event; their processes and data
 * directories belong to different uids from the range, the same ones after the loader restarts. An
 * unprivileged loader cannot switch uids: there the same scenario runs, every sandbox under the
 * loader's own uid.
 */
class SandboxUidsIT {
  @TempDir Path tmp;

  private final BlockReports reports = new BlockReports();

  private ModuleManager manager(SandboxOptions o, SimulatedChain chain) {
    return SandboxFixture.manager(tmp, o, chain)
        .sandboxLimits(
            ResourceLimits.jvmDefaults(), ResourceLimits.nativeDefaults().withProcesses(16))
        .onModuleEvent(reports)
        .build();
  }

  /** The real uids of the module's processes (bwrap and everything below it). */
  private static Set<Integer> uids(ModuleManager m, String id) {
    long bwrap = m.status(id).orElseThrow().pid().orElseThrow();
    Set<Integer> uids = new TreeSet<>();
    ProcessHandle h = ProcessHandle.of(bwrap).orElseThrow();
    java.util.stream.Stream.concat(java.util.stream.Stream.of(h), h.descendants())
        .forEach(
            p -> {
              try {
                for (String line :
                    Files.readAllLines(Path.of("/proc", Long.toString(p.pid()), "status"))) {
                  if (line.startsWith("Uid:")) {
                    uids.add(Integer.parseInt(line.split("\\s+")[1]));
                  }
                }
              } catch (java.io.IOException gone) {
                // ended meanwhile
              }
            });
    return uids;
  }

  private static int owner(Path p) throws Exception {
    return (Integer) Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS);
  }

  @Test
  void moduleAtItsProcessLimit_otherModuleLaunchesAndGetsEveryEvent_eachItsOwnUid()
      throws Exception {
    SandboxOptions o = SandboxFixture.requireSandbox();
    SandboxFixture.letSandboxEnter(tmp);
    Path modules = Files.createDirectories(tmp.resolve("modules"));
    SandboxFixture.installNative(modules, "hog", "forkhold");
    ModuleFixture.install(modules, "reporter", SandboxFixture.CAPS, "");
    SimulatedChain chain = new SimulatedChain();
    Map<String, Integer> firstRun = new TreeMap<>();
    try (ModuleManager m = manager(o, chain)) {
      m.start(); // the hog first (sorted), holding every process it may have
      assertTrue(
          m.awaitState("hog", ModuleState.INITIALIZED, Duration.ofSeconds(30)), "" + m.statuses());
      String hog = SandboxFixture.awaitLog(tmp.resolve("run/hog.out.log"), "forkhold holding");
      assertTrue(hog.contains("forkhold holding") && hog.contains("errno 11"), hog);
      assertTrue(
          m.awaitState("reporter", ModuleState.STARTED, Duration.ofSeconds(60)),
          m.statuses() + "\n" + Files.readString(tmp.resolve("run/reporter.out.log")));
      for (int i = 0; i < 5; i++) {
        assertEquals(1, m.publish(EventType.NewBlock, chain.mineBlock(0)));
      }
      reports.await("reporter", 5, Duration.ofSeconds(30));
      assertEquals(ModuleState.INITIALIZED, m.status("hog").orElseThrow().state());

      Set<Integer> hogUids = uids(m, "hog");
      Set<Integer> reporterUids = uids(m, "reporter");
      assertEquals(1, hogUids.size(), "" + hogUids);
      assertEquals(1, reporterUids.size(), "" + reporterUids);
      int hogUid = hogUids.iterator().next();
      int reporterUid = reporterUids.iterator().next();
      if (SandboxFixture.isRoot()) {
        UidRange range = o.moduleUids();
        assertNotEquals(hogUid, reporterUid, "modules share a host uid");
        assertTrue(
            range.contains(hogUid) && range.contains(reporterUid), hogUid + " " + reporterUid);
        assertEquals(hogUid, owner(tmp.resolve("run/data/hog")));
        assertEquals(reporterUid, owner(tmp.resolve("run/data/reporter")));
        assertEquals(hogUid, owner(tmp.resolve("run/hog")), "its socket directory");
      } else {
        // an unprivileged loader cannot separate uids: every sandbox runs as the loader's uid
        int me = owner(tmp);
        assertEquals(me, hogUid);
        assertEquals(me, reporterUid);
      }
      firstRun.put("hog", hogUid);
      firstRun.put("reporter", reporterUid);
    }
    // a new loader on the same data root gives each module the uid it had
    try (ModuleManager m = manager(o, chain)) {
      m.start();
      assertTrue(m.awaitState("hog", ModuleState.INITIALIZED, Duration.ofSeconds(30)));
      assertTrue(m.awaitState("reporter", ModuleState.STARTED, Duration.ofSeconds(60)));
      assertEquals(Set.of(firstRun.get("hog")), uids(m, "hog"));
      assertEquals(Set.of(firstRun.get("reporter")), uids(m, "reporter"));
    }
  }
}
