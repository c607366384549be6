package org.blvm.loader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.blvm.sandbox.ResourceLimits;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The development launcher: a real child process with the module's environment. */
class PlainProcessLauncherTest {
  @TempDir Path tmp;

  static LaunchSpec spec(Path tmp, LaunchSpec.Entry entry, List<String> args) throws Exception {
    return new LaunchSpec(
        "plain",
        entry,
        args,
        Files.createDirectories(tmp.resolve("sock")),
        "module.sock",
        Files.createDirectories(tmp.resolve("data")),
        List.of(),
        tmp.resolve("plain.out.log"),
        new LaunchSpec.Confinement("default", ResourceLimits.nativeDefaults(), false, List.of()),
        "5e".repeat(32));
  }

  @Test
  void launch_tokenInTheEnvironment_neverOnTheCommandLine() throws Exception {
    LaunchSpec spec =
        spec(tmp, LaunchSpec.Entry.nativeBinary(Path.of("/bin/sleep")), List.of("30"));
    LaunchedProcess p = new PlainProcessLauncher().launch(spec);
    try {
      Path proc = Path.of("/proc", Long.toString(p.pid()));
      String cmdline =
          new String(Files.readAllBytes(proc.resolve("cmdline")), StandardCharsets.UTF_8);
      String environ =
          new String(Files.readAllBytes(proc.resolve("environ")), StandardCharsets.UTF_8);
      assertEquals("/bin/sleep\0" + "30\0", cmdline);
      assertFalse(cmdline.contains(spec.token()));
      assertTrue(environ.contains("BLVM_TOKEN=" + spec.token()), "the module still gets it");
      assertEquals(spec.socketPath().toString(), p.moduleSocketPath());
      assertTrue(environ.contains("BLVM_SOCKET=" + spec.socketPath() + "\0"));
    } finally {
      p.kill();
      p.onExit().get(10, TimeUnit.SECONDS);
    }
  }
}
