package org.blvm.tests;

import java.nio.file.Files;
import java.nio.file.Path;
import org.blvm.loader.ConfigReload;
import org.blvm.loader.ModuleLauncher;
import org.blvm.loader.ModuleManager;

/**
 * A loader in its own JVM for {@link ConfigSighupIT}: node config args[1], reloaded on SIGHUP only
 * (no file watching, so only the signal can cause a reload). Prints "ready", then one line per
 * applied or refused reload: "reload SIGHUP applied [sections]" or "reload SIGHUP refused".
 */
public final class ConfigSighupMain {
  private ConfigSighupMain() {}

  public static void main(String[] args) throws Exception {
    Path tmp = Path.of(args[0]);
    Files.createDirectories(tmp.resolve("modules"));
    ModuleManager m =
        ModuleManager.builder()
            .launcher(ModuleLauncher.plainProcesses())
            .admission(ModuleFixture.admission(tmp.resolve("state")))
            .modulesDir(tmp.resolve("modules"))
            .runtimeDir(tmp.resolve("run"))
            .nodeConfig(Path.of(args[1]))
            .watchNodeConfig(false)
            .reloadConfigOnSighup(true)
            .build();
    m.start();
    System.out.println("ready");
    System.out.flush();
    ConfigReload seen = m.configStatus().orElseThrow();
    long deadline = System.nanoTime() + 120_000_000_000L; // never outlive a stuck test
    while (System.nanoTime() < deadline) {
      ConfigReload now = m.configStatus().orElseThrow();
      if (now != seen) {
        seen = now;
        System.out.println(
            "reload "
                + now.trigger()
                + (now.applied() ? " applied " + now.changedSections() : " refused"));
        System.out.flush();
      }
      Thread.sleep(10);
    }
    m.close();
  }
}
