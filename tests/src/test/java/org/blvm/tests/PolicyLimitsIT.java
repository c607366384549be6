package org.blvm.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.blvm.demo.SimulatedChain;
import org.blvm.loader.ModuleManager;
import org.blvm.loader.ModuleState;
import org.blvm.sandbox.ResourceLimits;
import org.blvm.sandbox.SandboxOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The operator policy's {@code limits} and {@code sandbox_profile} take effect in the real sandbox:
 * a native module probes its limits from inside (rlimits read back, files opened, processes forked,
 * memory allocated, a file written); a module the policy says nothing about gets exactly the
 * loader's defaults; a profile name that does not exist fails the module; a JVM module's memory_mb
 * becomes its heap.
 */
class PolicyLimitsIT {
  private static final int EMFILE = 24;
  private static final int EAGAIN = 11;
  private static final int EFBIG = 27;

  /** The loader's own native defaults in this test (builder sandboxLimits). */
  private static final ResourceLimits NATIVE =
      ResourceLimits.nativeDefaults().withProcesses(24).withAddressSpaceBytes(256L << 20);

  private static final String POLICY =
      "[modules.strict-limits]\n"
          + "limits = { open_files = 20, processes = 6, memory_mb = 64, disk_mb = 1,"
          + " cpu_seconds = 0 }\n"
          + "[modules.bad-profile]\n"
          + "sandbox_profile = \"no-such-profile\"\n"
          + "[modules.jvm-memory]\n"
          + "capabilities = ["
          + SandboxFixture.CAPS
          + "]\n"
          + "limits = { memory_mb = 96 }\n";

  @TempDir Path tmp;

  private ModuleManager manager(SandboxOptions o) {
    return ModuleManager.builder()
        .admission(ModuleFixture.admission(tmp.resolve("state"), POLICY))
        .modulesDir(tmp.resolve("modules"))
        .runtimeDir(tmp.resolve("run"))
        .backend(new SimulatedChain())
        .stopGrace(Duration.ofSeconds(2))
        .sandbox(o)
        .sandboxLimits(ResourceLimits.jvmDefaults(), NATIVE)
        .build();
  }

  @Test
  void policyLimits_applyInsideTheSandbox_unsetKeepLoaderDefaults_unknownProfileFails()
      throws Exception {
    SandboxOptions o = SandboxFixture.requireSandbox();
    SandboxFixture.letSandboxEnter(tmp);
    Path modules = Files.createDirectories(tmp.resolve("modules"));
    SandboxFixture.installNative(modules, "strict-limits", "mod-limits");
    SandboxFixture.installNative(modules, "no-section", "mod-limits");
    SandboxFixture.installNative(modules, "bad-profile", "mod-ok");
    try (ModuleManager m = manager(o)) {
      m.start();
      for (String id : List.of("strict-limits", "no-section")) {
        assertTrue(
            m.awaitState(id, ModuleState.INITIALIZED, Duration.ofSeconds(30)),
            m.statuses() + "\n" + log(id));
      }

      // the policy's limits, read back inside, and each one stopping what it should
      Map<String, String> s = probe("strict-limits");
      assertEquals("20 20", s.get("limit nofile"));
      assertEquals("6 6", s.get("limit nproc"));
      assertEquals("-1 -1", s.get("limit cpu"), "cpu_seconds = 0: RLIM_INFINITY");
      assertEquals((1L << 20) + " " + (1L << 20), s.get("limit fsize"));
      assertEquals((64L << 20) + " " + (64L << 20), s.get("limit as"));
      assertEquals("17 errno " + EMFILE, s.get("probe openfiles"), "20 minus stdin/out/err");
      String[] forked = s.get("probe forked").split(" ");
      assertTrue(Integer.parseInt(forked[0]) < 6, s.toString());
      assertEquals(String.valueOf(EAGAIN), forked[2], s.toString());
      assertTrue(mib(s) < 64, s.toString());
      assertEquals((1L << 20) + " errno " + EFBIG, s.get("probe wrote"));

      // no policy values: exactly the loader's defaults
      Map<String, String> d = probe("no-section");
      assertEquals(NATIVE.openFiles() + " " + NATIVE.openFiles(), d.get("limit nofile"));
      assertEquals(NATIVE.processes() + " " + NATIVE.processes(), d.get("limit nproc"));
      assertEquals(NATIVE.cpuSeconds() + " " + NATIVE.cpuSeconds(), d.get("limit cpu"));
      assertEquals(NATIVE.fileSizeBytes() + " " + NATIVE.fileSizeBytes(), d.get("limit fsize"));
      assertEquals(
          NATIVE.addressSpaceBytes() + " " + NATIVE.addressSpaceBytes(), d.get("limit as"));
      assertEquals("0 0", d.get("limit core"));
      assertEquals("40 errno 0", d.get("probe openfiles"));
      assertEquals("4194304 errno 0", d.get("probe wrote"));
      assertTrue(mib(d) >= 64 && mib(d) < 256, d.toString());

      // a profile name that does not exist: FAILED, nothing ran, no fallback
      ModuleStateAssert.awaitFailed(m, "bad-profile");
      String why = m.status("bad-profile").orElseThrow().detail();
      assertTrue(why.contains("\"no-such-profile\"") && why.contains("policy"), why);
      assertFalse(log("bad-profile").contains("module answer"), log("bad-profile"));
    }
  }

  @Test
  void policyMemory_jvmModule_heapIsHalf_andItStarts() throws Exception {
    SandboxOptions o = SandboxFixture.requireSandbox();
    SandboxFixture.letSandboxEnter(tmp);
    Path modules = Files.createDirectories(tmp.resolve("modules"));
    ModuleFixture.install(modules, "jvm-memory", SandboxFixture.CAPS, "");
    try (ModuleManager m = manager(o)) {
      m.start();
      assertTrue(
          m.awaitState("jvm-memory", ModuleState.STARTED, Duration.ofSeconds(60)),
          m.statuses() + "\n" + log("jvm-memory"));
      long bwrap = m.status("jvm-memory").orElseThrow().pid().orElseThrow();
      List<String> heap =
          ProcessHandle.of(bwrap)
              .orElseThrow()
              .descendants()
              .map(this::cmdline)
              .flatMap(List::stream)
              .filter(a -> a.startsWith("-Xmx"))
              .collect(Collectors.toList());
      // bwrap's and the JVM's argv: only the policy's 96 MB as a 48 MiB heap, the loader's own
      // -Xmx64m is gone (the last -Xmx would win)
      assertEquals(java.util.Set.of("-Xmx48m"), java.util.Set.copyOf(heap), "" + heap);
    }
  }

  private List<String> cmdline(ProcessHandle h) {
    try {
      String c =
          new String(
              Files.readAllBytes(Path.of("/proc", Long.toString(h.pid()), "cmdline")),
              StandardCharsets.UTF_8);
      return List.of(c.split("\0"));
    } catch (java.io.IOException e) {
      return List.of();
    }
  }

  private static int mib(Map<String, String> probe) {
    return Integer.parseInt(probe.get("probe allocated").split(" ")[0]);
  }

  /** "limit nofile" → "20 20", "probe forked" → "4 errno 11", … from the module's output. */
  private Map<String, String> probe(String id) throws Exception {
    Map<String, String> m = new LinkedHashMap<>();
    String log = SandboxFixture.awaitLog(tmp.resolve("run/" + id + ".out.log"), "probe wrote");
    for (String line : log.split("\n")) {
      String[] f = line.split(" ", 3);
      if (f.length == 3 && (f[0].equals("limit") || f[0].equals("probe"))) {
        m.put(f[0] + " " + f[1], f[2]);
      }
    }
    return m;
  }

  private String log(String id) {
    Path p = tmp.resolve("run/" + id + ".out.log");
    try {
      return Files.exists(p) ? Files.readString(p) : "";
    } catch (java.io.IOException e) {
      return "";
    }
  }

  /** Polls for FAILED (a failed launch never reaches another state). */
  private static final class ModuleStateAssert {
    static void awaitFailed(ModuleManager m, String id) throws InterruptedException {
      long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      while (m.status(id).orElseThrow().state() != ModuleState.FAILED) {
        if (System.nanoTime() > deadline) {
          throw new AssertionError(id + " not FAILED: " + m.statuses());
        }
        Thread.sleep(20);
      }
    }
  }
}
