package org.blvm.tests;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import org.blvm.sandbox.PreflightReport;
import org.blvm.sandbox.SandboxOptions;
import org.blvm.sandbox.Sandboxes;
import org.junit.jupiter.api.Assumptions;

/** Gate and layout for the sandboxed end-to-end tests. */
final class SandboxFixture {
  private static PreflightReport report;

  private SandboxFixture() {}

  /** Skips (printing why) when the host cannot sandbox; fails instead under requireIntegration. */
  static synchronized SandboxOptions requireSandbox() {
    SandboxOptions o = SandboxOptions.defaults();
    if (report == null) {
      report = Sandboxes.preflight(o);
    }
    if (!report.ok()) {
      String msg =
          "sandboxed end-to-end test skipped: the host cannot sandbox:\n" + report.describe();
      System.err.println(msg);
      if (Boolean.getBoolean("blvm.requireIntegration")) {
        throw new AssertionError(
            msg + "(blvm.requireIntegration=true turns this skip into a failure)");
      }
      Assumptions.abort(msg);
    }
    return o;
  }

  /**
   * When the tests run as root the sandbox runs as another user, which must be able to enter the
   * temporary directory (bwrap resolves bind sources as that user): group = its gid, mode 0710.
   */
  static void letSandboxEnter(Path dir) throws IOException {
    String user = org.blvm.sandbox.SandboxOptions.defaults().user();
    if (!isRoot()) {
      return;
    }
    for (String line : Files.readAllLines(Path.of("/etc/passwd"))) {
      String[] f = line.split(":");
      if (f[0].equals(user)) {
        Files.setAttribute(dir, "unix:gid", Integer.parseInt(f[3]));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx--x---"));
      }
    }
  }

  /**
   * A manager builder for sandboxed modules under {@code tmp}: modules in {@code tmp/modules}, the
   * runtime root {@code tmp/run}, admission state in {@code tmp/state-<n>}, a 2 s stop grace.
   */
  static org.blvm.loader.ModuleManager.Builder manager(
      Path tmp, SandboxOptions o, org.blvm.loader.NodeBackend backend) {
    return manager(
        tmp, o, backend, ModuleFixture.admission(tmp.resolve("state-" + System.nanoTime())));
  }

  /** The same under an operator policy ({@code policyToml}, without keys; see ModuleFixture). */
  static org.blvm.loader.ModuleManager.Builder manager(
      Path tmp, SandboxOptions o, org.blvm.loader.NodeBackend backend, String policyToml) {
    return manager(
        tmp,
        o,
        backend,
        ModuleFixture.admission(tmp.resolve("state-" + System.nanoTime()), policyToml));
  }

  private static org.blvm.loader.ModuleManager.Builder manager(
      Path tmp,
      SandboxOptions o,
      org.blvm.loader.NodeBackend backend,
      org.blvm.policy.Admission a) {
    return org.blvm.loader.ModuleManager.builder()
        .admission(a)
        .modulesDir(tmp.resolve("modules"))
        .runtimeDir(tmp.resolve("run"))
        .backend(backend)
        .stopGrace(java.time.Duration.ofSeconds(2))
        .sandbox(o);
  }

  /**
   * The module's output log once it contains {@code needle}: the loader writes it from its own
   * thread, a moment after the module wrote it. Fails after 20 s.
   */
  static String awaitLog(Path log, String needle) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + java.time.Duration.ofSeconds(20).toNanos();
    while (true) {
      String text = Files.exists(log) ? Files.readString(log) : "";
      if (text.contains(needle)) {
        return text;
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("no \"" + needle + "\" in " + log + ":\n" + text);
      }
      Thread.sleep(20);
    }
  }

  static boolean isRoot() {
    return "root".equals(System.getProperty("user.name"));
  }

  static Path helper() {
    Path p = Path.of(System.getProperty("blvm.tryHelper", "missing"));
    if (!Files.isExecutable(p)) {
      throw new IllegalStateException("blvm.tryHelper does not name the compiled helper: " + p);
    }
    return p;
  }

  /** Installs the native helper as module {@code name}; its behaviour follows {@code entry}. */
  static void installNative(Path modulesDir, String name, String entry) throws IOException {
    Path dir = Files.createDirectories(modulesDir.resolve(name));
    Files.copy(helper(), dir.resolve(entry), StandardCopyOption.REPLACE_EXISTING);
    Files.setPosixFilePermissions(dir.resolve(entry), PosixFilePermissions.fromString("rwxr-xr-x"));
    // the mode travels inside the binary: the loader may run a verified copy under another name
    Files.write(
        dir.resolve(entry),
        ("\nBLVMMODE=" + entry + "\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII),
        java.nio.file.StandardOpenOption.APPEND);
    Files.writeString(
        dir.resolve("module.toml"),
        "name = \""
            + name
            + "\"\nversion = \"1.0.0\"\nruntime = \"native\"\nentry = \""
            + entry
            + "\"\ncapabilities = []\n");
    ModuleFixture.sign(dir);
  }

  static final Set<String> NONE = Set.of();

  /** What the SDK test module uses at start. */
  static final String CAPS =
      "\"read_blockchain\", \"subscribe_events\", \"publish_events\", \"call_module\","
          + " \"register_module_api\"";
}
