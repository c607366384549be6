package org.blvm.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.blvm.demo.SimulatedChain;
import org.blvm.loader.ModuleManager;
import org.blvm.loader.ModuleState;
import org.blvm.protocol.EventType;
import org.blvm.sandbox.ResourceLimits;
import org.blvm.sandbox.SandboxOptions;
import org.blvm.testsupport.Poll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;

/**
 * The loader running modules in bubblewrap sandboxes: a JVM module built with the SDK works
 * unchanged (socket-dir check, peer check, token), attacks from native modules leave the loader and
 * the other modules running, outsiders and wrong tokens are refused, and killing the loader kills
 * every sandbox.
 */
class SandboxedModulesIT {
  private static final String CAPS =
      "\"read_blockchain\", \"subscribe_events\", \"publish_events\", \"call_module\","
          + " \"register_module_api\"";

  @TempDir Path tmp;

  private final BlockReports reports = new BlockReports();

  private ModuleManager manager(SandboxOptions o, SimulatedChain chain) {
    return SandboxFixture.manager(tmp, o, chain)
        .sandboxLimits(
            ResourceLimits.jvmDefaults(),
            ResourceLimits.nativeDefaults()
                .withCpuSeconds(2)
                .withProcesses(24)
                .withAddressSpaceBytes(256L << 20))
        .onModuleEvent(reports)
        .build();
  }

  @Test
  void attacksFromSandboxedModules_loaderAndOtherModulesUnaffected_outsidersRefused()
      throws Exception {
    SandboxOptions o = SandboxFixture.requireSandbox();
    SandboxFixture.letSandboxEnter(tmp);
    Path modules = Files.createDirectories(tmp.resolve("modules"));
    ModuleFixture.install(modules, "reporter", CAPS, "");
    SandboxFixture.installNative(modules, "native-ok", "mod-ok");
    SandboxFixture.installNative(modules, "bad-token", "mod-badtoken");
    SimulatedChain chain = new SimulatedChain();
    try (ModuleManager m = manager(o, chain)) {
      m.start();
      assertTrue(
          m.awaitState("reporter", ModuleState.STARTED, Duration.ofSeconds(60)),
          m.statuses() + "\n" + log("reporter"));
      assertTrue(
          m.awaitState("native-ok", ModuleState.INITIALIZED, Duration.ofSeconds(20)),
          m.statuses() + "\n" + log("native-ok"));

      // attackers start next to the running modules
      SandboxFixture.installNative(modules, "fork-bomb", "forkbomb");
      SandboxFixture.installNative(modules, "mem-bomb", "membomb");
      SandboxFixture.installNative(modules, "spinner", "spin");
      for (String a : List.of("fork-bomb", "mem-bomb", "spinner")) {
        m.startModule(modules.resolve(a));
      }

      // the spinner is killed at its CPU limit, the bombs end; none of it touches the loader
      assertTrue(
          m.awaitState("spinner", ModuleState.FAILED, Duration.ofSeconds(30)), "" + m.statuses());
      String spin = m.status("spinner").orElseThrow().detail();
      assertTrue(spin.contains("status 137") || spin.contains("status 152"), spin);
      assertTrue(m.awaitState("fork-bomb", ModuleState.FAILED, Duration.ofSeconds(30)));
      assertTrue(m.awaitState("mem-bomb", ModuleState.FAILED, Duration.ofSeconds(30)));
      // FAILED waits for the module's output to be written only for a bounded time: poll the logs
      SandboxFixture.awaitLog(tmp.resolve("run/fork-bomb.out.log"), "forkbomb stopped after");
      SandboxFixture.awaitLog(tmp.resolve("run/mem-bomb.out.log"), "membomb stopped at");

      // a sandboxed module presenting a wrong token is refused
      await(() -> log("bad-token").contains("module answer"), "bad-token's answer");
      assertTrue(log("bad-token").contains("module answer close"), log("bad-token"));
      assertEquals(ModuleState.LOADED, m.status("bad-token").orElseThrow().state());
      SandboxFixture.awaitLog(tmp.resolve("run/native-ok.out.log"), "module answer welcome");

      // a process outside the sandbox (the loader's own uid) connecting to the socket is refused
      try (AFUNIXSocket s = AFUNIXSocket.newInstance()) {
        s.connect(AFUNIXSocketAddress.of(m.socketPath("reporter").toFile()));
        InputStream in = s.getInputStream();
        byte[] all = in.readAllBytes();
        String text = new String(all, StandardCharsets.ISO_8859_1);
        assertTrue(text.contains("close") && text.contains("not module reporter"), text);
      }

      for (int i = 0; i < 5; i++) {
        assertEquals(1, m.publish(EventType.NewBlock, chain.mineBlock(0)));
      }
      reports.await("reporter", 5, Duration.ofSeconds(30)); // still receives every block
      assertEquals(ModuleState.STARTED, m.status("reporter").orElseThrow().state());
    }
  }

  @Test
  void killingTheLoader_killsEverySandbox() throws Exception {
    SandboxOptions o = SandboxFixture.requireSandbox();
    SandboxFixture.letSandboxEnter(tmp);
    Path javaBin = Path.of(System.getProperty("java.home"), "bin", "java");
    List<String> cmd =
        new ArrayList<>(List.of(javaBin.toString(), "-cp", System.getProperty("java.class.path")));
    if (o.user() != null) {
      cmd.add("-Dblvm.sandboxUser=" + o.user());
    }
    cmd.add("-Dblvm.sandboxUids=" + (o.moduleUids() == null ? "none" : o.moduleUids()));
    cmd.add("-Dblvm.testModuleJar=" + ModuleFixture.testModuleJar());
    cmd.add("-Dblvm.tryHelper=" + SandboxFixture.helper());
    cmd.addAll(List.of(SandboxLoaderMain.class.getName(), tmp.toString()));
    Process loader = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    List<ProcessHandle> sandboxProcs = new ArrayList<>();
    try {
      BufferedReader r =
          new BufferedReader(
              new InputStreamReader(loader.getInputStream(), StandardCharsets.UTF_8));
      String line;
      StringBuilder seen = new StringBuilder();
      while ((line = r.readLine()) != null && !line.startsWith("started")) {
        seen.append(line).append('\n');
      }
      assertTrue(line != null, "loader ended before starting its modules:\n" + seen);
      loader.toHandle().descendants().forEach(sandboxProcs::add);
      assertTrue(
          sandboxProcs.size() >= 4,
          "bwrap + init + module for each: " + sandboxProcs + "\n" + seen);
      Thread drain =
          new Thread(
              () -> {
                try {
                  r.transferTo(java.io.Writer.nullWriter());
                } catch (java.io.IOException e) {
                }
              });
      drain.setDaemon(true);
      drain.start();
    } finally {
      loader.destroyForcibly(); // SIGKILL: no shutdown hook, no graceful stop
      loader.waitFor(10, TimeUnit.SECONDS);
    }
    await(
        () -> sandboxProcs.stream().noneMatch(ProcessHandle::isAlive),
        "every sandbox process gone: " + sandboxProcs);
  }

  @Test
  void sandboxUnavailable_noModuleStarts_exceptTheDevelopmentSetting() throws Exception {
    Path modules = Files.createDirectories(tmp.resolve("modules"));
    ModuleFixture.install(modules, "confined", CAPS, "");
    ModuleFixture.install(modules, "dev-only", CAPS, "");
    SandboxOptions broken =
        new SandboxOptions(
            Path.of("/nonexistent/bwrap"),
            Path.of("/usr/bin/setpriv"),
            Path.of("/usr/bin/prlimit"),
            SandboxOptions.defaults().user(),
            SandboxOptions.defaults().moduleUids());
    try (ModuleManager m =
        ModuleManager.builder()
            .admission(ModuleFixture.admission(tmp.resolve("state-" + System.nanoTime())))
            .modulesDir(modules)
            .runtimeDir(tmp.resolve("run"))
            .backend(new SimulatedChain())
            .sandbox(broken)
            .unsandboxedForDevelopment(java.util.Set.of("dev-only"))
            .build()) {
      m.start();
      assertEquals(ModuleState.FAILED, m.status("confined").orElseThrow().state());
      String why = m.status("confined").orElseThrow().detail();
      assertTrue(why.contains("without its sandbox") && why.contains("bubblewrap not found"), why);
      assertTrue(m.awaitState("dev-only", ModuleState.STARTED, Duration.ofSeconds(60)));
    }
  }

  private String log(String id) {
    Path p = tmp.resolve("run/" + id + ".out.log");
    try {
      return Files.exists(p) ? Files.readString(p) : "";
    } catch (java.io.IOException e) {
      return "";
    }
  }

  private static void await(BooleanSupplier condition, String what) throws InterruptedException {
    Poll.until(condition, Duration.ofSeconds(30), what);
  }
}
