package org.blvm.tests;

import java.nio.file.Path;
import java.time.Duration;
import org.blvm.demo.SimulatedChain;
import org.blvm.loader.ModuleManager;
import org.blvm.loader.ModuleStatus;

/**
 * A loader in its own JVM, for the test that kills the loader: installs a JVM and a native module
 * under args[0] (signed with this JVM's own key), starts them sandboxed, prints "started" and every
 * module's bwrap pid, then waits forever.
 */
public final class SandboxLoaderMain {
  private SandboxLoaderMain() {}

  public static void main(String[] args) throws Exception {
    Path tmp = Path.of(args[0]);
    Path modules = java.nio.file.Files.createDirectories(tmp.resolve("modules"));
    ModuleFixture.install(modules, "jvm-one", SandboxFixture.CAPS, "");
    SandboxFixture.installNative(modules, "native-one", "mod-ok");
    ModuleManager m =
        ModuleManager.builder()
            .admission(ModuleFixture.admission(tmp.resolve("state")))
            .modulesDir(tmp.resolve("modules"))
            .runtimeDir(tmp.resolve("run"))
            .backend(new SimulatedChain())
            // no .sandbox(...) and no .launcher(...): the default must be the sandbox, which the
            // kill test relies on (plain child processes would outlive a SIGKILLed loader)
            .build();
    m.start();
    m.awaitState("jvm-one", org.blvm.loader.ModuleState.STARTED, Duration.ofSeconds(60));
    m.awaitState("native-one", org.blvm.loader.ModuleState.INITIALIZED, Duration.ofSeconds(60));
    System.out.println("statuses " + m.statuses());
    for (ModuleStatus s : m.statuses()) {
      Path log = tmp.resolve("run").resolve(s.name() + ".out.log");
      if (java.nio.file.Files.exists(log)) {
        System.out.println(s.name() + " log: " + java.nio.file.Files.readString(log).strip());
      }
    }
    StringBuilder b = new StringBuilder("started");
    for (ModuleStatus s : m.statuses()) {
      b.append(' ').append(s.pid().orElseThrow());
    }
    System.out.println(b);
    System.out.flush();
    Thread.sleep(Long.MAX_VALUE);
  }
}
