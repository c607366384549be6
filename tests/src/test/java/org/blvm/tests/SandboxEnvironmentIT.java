package org.blvm.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.blvm.demo.SimulatedChain;
import org.blvm.loader.ModuleLauncher;
import org.blvm.loader.ModuleManager;
import org.blvm.sandbox.SandboxOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a real module process finds in its environment (docs/protocol.md §1, §3.2), sandboxed and
 * unsandboxed: the SDK test module logs its variable names and the paths it sees.
 */
class SandboxEnvironmentIT {
  @TempDir Path tmp;

  /** Runs the test module "envy" and returns the fields of its environment line. */
  private Map<String, String> environmentLine(ModuleManager.Builder b) throws Exception {
    Path modules = Files.createDirectories(tmp.resolve("modules"));
    ModuleFixture.install(modules, "envy", SandboxFixture.CAPS, "log_environment = true");
    CompletableFuture<String> line = new CompletableFuture<>();
    try (ModuleManager m =
        b.admission(ModuleFixture.admission(tmp.resolve("state")))
            .modulesDir(modules)
            .runtimeDir(tmp.resolve("run"))
            .dataDir(tmp.resolve("data"))
            .backend(new SimulatedChain())
            .stopGrace(Duration.ofSeconds(2))
            .onModuleLog(
                (id, level, message) -> {
                  if (message.startsWith("environment ")) {
                    line.complete(message);
                  }
                })
            .build()) {
      m.start();
      String text;
      try {
        text = line.get(90, TimeUnit.SECONDS);
      } catch (TimeoutException e) {
        Path out = tmp.resolve("run").resolve("envy.out.log");
        throw new AssertionError(
            "no environment line; "
                + m.statuses()
                + (Files.exists(out) ? "\n" + Files.readString(out) : ""),
            e);
      }
      Map<String, String> fields = new LinkedHashMap<>();
      for (String field : text.substring("environment ".length()).split(" ")) {
        int eq = field.indexOf('=');
        fields.put(field.substring(0, eq), field.substring(eq + 1));
      }
      return fields;
    }
  }

  private Path dataDir() {
    return tmp.resolve("data").resolve("envy").toAbsolutePath().normalize();
  }

  @Test
  void sandboxed_environmentIsTheDocumentedSevenVariables_socketAtRunBlvm() throws Exception {
    SandboxOptions o = SandboxFixture.requireSandbox();
    SandboxFixture.letSandboxEnter(tmp);

    Map<String, String> env = environmentLine(ModuleManager.builder().sandbox(o));

    assertEquals(
        "BLVM_DATA_DIR,BLVM_SOCKET,BLVM_TOKEN,HOME,LANG,PATH,PWD",
        env.get("names"),
        env.toString());
    assertEquals("/run/blvm/module.sock", env.get("BLVM_SOCKET"));
    assertEquals(dataDir().toString(), env.get("BLVM_DATA_DIR"));
    assertEquals(dataDir().toString(), env.get("HOME"));
    assertEquals(dataDir().toString(), env.get("PWD"));
    assertEquals(dataDir().toString(), env.get("cwd"));
    assertEquals("/usr/bin:/bin", env.get("PATH"));
    assertEquals("C.UTF-8", env.get("LANG"));
    assertEquals(dataDir().toString(), env.get("data_dir"));
    // the welcome's socket_path is the path as the module sees it, not the node's side
    assertEquals("/run/blvm/module.sock", env.get("socket_path"));
  }

  @Test
  void unsandboxed_environmentIsTheSixVariablesWithoutPwd() throws Exception {
    Map<String, String> env =
        environmentLine(ModuleManager.builder().launcher(ModuleLauncher.plainProcesses()));

    assertEquals(
        "BLVM_DATA_DIR,BLVM_SOCKET,BLVM_TOKEN,HOME,LANG,PATH", env.get("names"), env.toString());
    assertEquals(env.get("socket_path"), env.get("BLVM_SOCKET"));
    assertEquals(dataDir().toString(), env.get("BLVM_DATA_DIR"));
    assertEquals(dataDir().toString(), env.get("cwd"));
    assertTrue(env.get("PWD").equals("null"), env.toString());
  }
}
