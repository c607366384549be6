package org.blvm.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.blvm.demo.SimulatedChain;
import org.blvm.loader.ModuleManager;
import org.blvm.loader.ModuleState;
import org.blvm.sandbox.SandboxOptions;
import org.blvm.testsupport.BareBwrap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Cold start (launch to welcome) of a sandboxed native and a sandboxed JVM module, next to a bare
 * {@code bwrap … /usr/bin/true} and a bare {@code java -version}, all measured in the same run.
 * Writes the medians to target/cold-start.txt; asserts only that everything started.
 */
class SandboxColdStartIT {
  private static final int RUNS = 5;

  @TempDir Path tmp;

  @Test
  void coldStart_sandboxedNativeAndJvmModules_nextToBareBwrapAndJava() throws Exception {
    SandboxOptions o = SandboxFixture.requireSandbox();
    SandboxFixture.letSandboxEnter(tmp);
    Path modules = Files.createDirectories(tmp.resolve("modules"));
    List<Long> bwrap = new ArrayList<>();
    List<Long> java = new ArrayList<>();
    List<Long> nativeModule = new ArrayList<>();
    List<Long> jvmModule = new ArrayList<>();
    List<Long> plainJvmModule = new ArrayList<>();
    List<Long> plainNativeModule = new ArrayList<>();
    String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    for (int i = 0; i < RUNS; i++) {
      bwrap.add(timeProcess(BareBwrap.command("/usr/bin/bwrap", "/usr/bin/true")));
      java.add(timeProcess(List.of(javaBin, "-version")));
    }
    try (ModuleManager m =
        ModuleManager.builder()
            .admission(ModuleFixture.admission(tmp.resolve("state-" + System.nanoTime())))
            .modulesDir(modules)
            .runtimeDir(tmp.resolve("run"))
            .backend(new SimulatedChain())
            .sandbox(o)
            .build()) {
      m.start();
      for (int i = 0; i < RUNS; i++) {
        SandboxFixture.installNative(modules, "native-" + i, "mod-ok");
        nativeModule.add(timeModule(m, modules.resolve("native-" + i)));
        ModuleFixture.install(modules, "jvm-" + i, SandboxFixture.CAPS, "");
        jvmModule.add(timeModule(m, modules.resolve("jvm-" + i)));
      }
    }
    Path plainModules = Files.createDirectories(tmp.resolve("plain-modules"));
    try (ModuleManager m =
        ModuleManager.builder()
            .admission(ModuleFixture.admission(tmp.resolve("state-" + System.nanoTime())))
            .modulesDir(plainModules)
            .runtimeDir(tmp.resolve("prun"))
            .backend(new SimulatedChain())
            .launcher(org.blvm.loader.ModuleLauncher.plainProcesses())
            .build()) {
      m.start();
      for (int i = 0; i < RUNS; i++) {
        ModuleFixture.install(plainModules, "plain-" + i, SandboxFixture.CAPS, "");
        plainJvmModule.add(timeModule(m, plainModules.resolve("plain-" + i)));
        SandboxFixture.installNative(plainModules, "plain-native-" + i, "mod-ok");
        plainNativeModule.add(timeModule(m, plainModules.resolve("plain-native-" + i)));
      }
    }
    String report =
        String.format(
            "cold start, median of %d runs on %d CPUs, loader uid %s%n"
                + "  bare bwrap ... /usr/bin/true     %5d ms  %s%n"
                + "  sandboxed native module (launch -> welcome) %5d ms  %s%n"
                + "  bare java -version               %5d ms  %s%n"
                + "  sandboxed JVM module (launch -> welcome)    %5d ms  %s%n"
                + "  unsandboxed JVM module (launch -> welcome)  %5d ms  %s%n"
                + "  unsandboxed native module (launch -> welcome) %5d ms  %s%n",
            RUNS,
            Runtime.getRuntime().availableProcessors(),
            System.getProperty("user.name"),
            median(bwrap),
            bwrap,
            median(nativeModule),
            nativeModule,
            median(java),
            java,
            median(jvmModule),
            jvmModule,
            median(plainJvmModule),
            plainJvmModule,
            median(plainNativeModule),
            plainNativeModule);
    System.out.print(report);
    Files.writeString(Path.of("target", "cold-start.txt"), report);
  }

  private static long timeModule(ModuleManager m, Path dir) throws Exception {
    long t0 = System.nanoTime();
    m.startModule(dir);
    String id = dir.getFileName().toString();
    assertTrue(
        m.awaitState(id, ModuleState.INITIALIZED, Duration.ofSeconds(60))
            || java.util.Set.of(ModuleState.SUBSCRIBED, ModuleState.STARTED)
                .contains(m.status(id).orElseThrow().state()),
        "" + m.status(id));
    return (System.nanoTime() - t0) / 1_000_000;
  }

  private static long timeProcess(List<String> cmd) throws Exception {
    long t0 = System.nanoTime();
    Process p =
        new ProcessBuilder(cmd)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .start();
    assertEquals(0, p.waitFor(), String.join(" ", cmd));
    return (System.nanoTime() - t0) / 1_000_000;
  }

  private static long median(List<Long> v) {
    List<Long> s = new ArrayList<>(v);
    Collections.sort(s);
    return s.get(s.size() / 2);
  }
}
