package org.blvm.bench;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.blvm.demo.SimulatedChain;
import org.blvm.loader.ModuleEventListener;
import org.blvm.loader.ModuleLauncher;
import org.blvm.loader.ModuleManager;
import org.blvm.policy.Admission;
import org.blvm.policy.MinisignSecretKey;
import org.blvm.policy.ModuleSigner;
import org.blvm.policy.Policy;

/**
 * What every benchmark shares: a work directory, one signing key trusted by the policy, signed
 * module directories (the loader admits them like any other module) and a module manager that runs
 * them as plain child processes (unconfined, so a module can reach a baseline's socket).
 */
final class Harness implements AutoCloseable {
  final Path work;
  final Path jar;
  private final MinisignSecretKey key;
  private final Admission admission;
  final SimulatedChain chain = new SimulatedChain();

  Harness() throws Exception {
    jar = Path.of(Harness.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    work = Files.createTempDirectory("blvm-bench-");
    key = MinisignSecretKey.generate(new SecureRandom());
    admission =
        Admission.builder()
            .policy(Policy.parse("bench policy", policyToml().getBytes(StandardCharsets.UTF_8)))
            .stateDir(work.resolve("state"))
            .build();
    chain.mineBlock(1);
  }

  /**
   * Trusts the bench's key; every bench module gets what it declares, with no rate limit, no
   * restart and 300 s to connect. The module that stops reading gets the drop_oldest overflow rule
   * (the default, disconnect, would end it when its queue fills).
   */
  private String policyToml() {
    return String.join(
        "\n",
        "threshold = 1",
        "[[keys]]",
        "name = \"bench\"",
        "public_key = \"" + key.publicKey().encoded() + "\"",
        "[defaults]",
        "capabilities = [\"read_blockchain\", \"read_mempool\", \"subscribe_events\","
            + " \"report_metrics\", \"publish_events\"]",
        "event_overflow = \"disconnect\"",
        "rate_limit = { requests_per_second = 0 }",
        "restart = { mode = \"never\" }",
        // eight module JVMs starting at once on a loaded machine may take longer than the default
        "connect_timeout_seconds = 300",
        "[modules.stalled]",
        "event_overflow = \"drop_oldest\"",
        "");
  }

  /** A module run by the JVM from the bench jar with {@code mainClass}; signed. */
  Path installJava(
      Path modulesDir, String name, String mainClass, List<String> caps, Map<String, Object> cfg)
      throws Exception {
    Path dir = Files.createDirectories(modulesDir.resolve(name));
    Files.copy(jar, dir.resolve("bench.jar"));
    StringBuilder toml = new StringBuilder();
    toml.append("name = \"").append(name).append("\"\n");
    toml.append("version = \"1.0.0\"\nruntime = \"java\"\nentry = \"bench.jar\"\n");
    toml.append("main_class = \"").append(mainClass).append("\"\n");
    toml.append("capabilities = ").append(tomlList(caps)).append('\n');
    if (caps.contains("publish_events")) {
      // the topics a module may publish are declared in its manifest
      toml.append("publishes = [\"bench.result\"]\n");
    }
    toml.append("[config]\n");
    for (Map.Entry<String, Object> e : cfg.entrySet()) {
      Object v = e.getValue();
      String value = v instanceof String ? "\"" + v + "\"" : String.valueOf(v);
      toml.append(e.getKey()).append(" = ").append(value).append('\n');
    }
    Files.writeString(dir.resolve("module.toml"), toml);
    ModuleSigner.sign(dir, key, null, true);
    return dir;
  }

  /** A native module: the hand-written protocol client rawmodule.py in {@code mode}; signed. */
  Path installRaw(Path modulesDir, String name, String mode, List<String> caps) throws Exception {
    Path dir = Files.createDirectories(modulesDir.resolve(name));
    String script;
    try (InputStream in = Harness.class.getResourceAsStream("rawmodule.py")) {
      script = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    script = script.replace("MODE = \"idle\"", "MODE = \"" + mode + "\"");
    Path entry = dir.resolve("rawmodule.py");
    Files.writeString(entry, script);
    Files.setPosixFilePermissions(entry, PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.writeString(
        dir.resolve("module.toml"),
        "name = \""
            + name
            + "\"\nversion = \"1.0.0\"\nruntime = \"native\"\nentry = \"rawmodule.py\"\n"
            + "capabilities = "
            + tomlList(caps)
            + "\n");
    ModuleSigner.sign(dir, key, null, true);
    return dir;
  }

  /**
   * A native module: {@code binary} (the sandbox tests' helper program) in {@code mode}, which
   * travels in a trailer appended to the binary; signed.
   */
  Path installNative(Path modulesDir, String name, Path binary, String mode) throws Exception {
    Path dir = Files.createDirectories(modulesDir.resolve(name));
    Path entry = dir.resolve(mode);
    Files.copy(binary, entry);
    Files.write(
        entry,
        ("\nBLVMMODE=" + mode + "\n").getBytes(StandardCharsets.US_ASCII),
        java.nio.file.StandardOpenOption.APPEND);
    Files.setPosixFilePermissions(entry, PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.writeString(
        dir.resolve("module.toml"),
        "name = \""
            + name
            + "\"\nversion = \"1.0.0\"\nruntime = \"native\"\nentry = \""
            + mode
            + "\"\ncapabilities = []\n");
    ModuleSigner.sign(dir, key, null, true);
    return dir;
  }

  /**
   * A manager that runs modules in the bubblewrap sandbox with {@code options} (the loader's
   * default launcher), otherwise as {@link #manager}.
   */
  ModuleManager.Builder sandboxedManager(
      Path modulesDir, String runName, org.blvm.sandbox.SandboxOptions options) throws Exception {
    Files.createDirectories(modulesDir);
    return ModuleManager.builder()
        .sandbox(options)
        .admission(admission)
        .modulesDir(modulesDir)
        .runtimeDir(work.resolve(runName))
        .backend(chain)
        .moduleHeapMb(64)
        .stopGrace(Duration.ofSeconds(2));
  }

  ModuleManager.Builder manager(Path modulesDir, String runName, ModuleEventListener listener)
      throws Exception {
    Files.createDirectories(modulesDir);
    ModuleManager.Builder b = ModuleManager.builder();
    String java = System.getProperty("blvm.bench.java");
    if (java != null) {
      // another java command for the modules, e.g. a script that adds a profiler's options
      b.javaExecutable(Path.of(java));
    }
    return b.launcher(ModuleLauncher.plainProcesses())
        .admission(admission)
        .modulesDir(modulesDir)
        .runtimeDir(work.resolve(runName))
        .backend(chain)
        .moduleHeapMb(64)
        .stopGrace(Duration.ofSeconds(2))
        .onModuleEvent(listener);
  }

  private static String tomlList(List<String> items) {
    StringBuilder b = new StringBuilder("[");
    for (int i = 0; i < items.size(); i++) {
      b.append(i == 0 ? "" : ", ").append('"').append(items.get(i)).append('"');
    }
    return b.append(']').toString();
  }

  @Override
  public void close() throws IOException {
    try (Stream<Path> s = Files.walk(work)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
