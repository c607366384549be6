package org.blvm.loader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.blvm.policy.ModuleManifest.Runtime;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Resolving the configured interpreters: real paths, CPython's library asked once, clear errors.
 */
class InterpretersTest {
  @TempDir Path tmp;

  @Test
  void resolve_debianPython_realExecutableAndItsStandardLibrary_once() throws Exception {
    Interpreters interpreters = new Interpreters(Map.of());
    Path python = Path.of("/usr/bin/python3");

    Interpreters.Interpreter i = interpreters.resolve(Runtime.PYTHON3);

    Path real = python.toRealPath();
    assertEquals(real, i.executable());
    assertEquals(Interpreters.PYTHON_OPTIONS, i.options());
    assertEquals(real, i.readOnly().get(0));
    Path stdlib = i.readOnly().get(1);
    assertTrue(Files.isRegularFile(stdlib.resolve("os.py")), "the standard library: " + stdlib);
    assertSame(i, interpreters.resolve(Runtime.PYTHON3), "asked once, then kept");
  }

  @Test
  void resolve_configuredPathMissing_namesItAndTheFix() {
    Interpreters interpreters = new Interpreters(Map.of(Runtime.NODE, tmp.resolve("no-such-node")));

    IOException e = assertThrows(IOException.class, () -> interpreters.resolve(Runtime.NODE));

    assertEquals(
        "runtime node: the interpreter "
            + tmp.resolve("no-such-node")
            + " does not exist (install it: apt-get install nodejs, or name another with"
            + " ModuleManager.Builder.interpreter(\"node\", PATH))",
        e.getMessage());
  }

  @Test
  void resolve_notExecutable_refused() throws Exception {
    Path f = Files.writeString(tmp.resolve("python3"), "not a program");

    IOException e =
        assertThrows(
            IOException.class,
            () -> new Interpreters(Map.of(Runtime.PYTHON3, f)).resolve(Runtime.PYTHON3));

    assertTrue(e.getMessage().contains("is not an executable file"), e.getMessage());
  }

  @Test
  void resolve_pythonNamingNoRealLibrary_refused() throws Exception {
    IOException e = fakePythonRefused("#!/bin/sh\necho relative/lib\n");

    assertTrue(
        e.getMessage().contains("names its standard library \"relative/lib\""), e.getMessage());
  }

  @Test
  void resolve_pythonFailing_exitStatusAndOutputInTheMessage() throws Exception {
    IOException e = fakePythonRefused("#!/bin/sh\necho broken >&2\nexit 3\n");

    assertTrue(e.getMessage().contains("exited with status 3"), e.getMessage());
    assertTrue(e.getMessage().contains("broken"), e.getMessage());
  }

  /** The error resolving a "python3" that is the shell script {@code script}. */
  private IOException fakePythonRefused(String script) throws IOException {
    Path fake = tmp.resolve("python3");
    Files.writeString(fake, script);
    Files.setPosixFilePermissions(fake, PosixFilePermissions.fromString("rwx------"));
    return assertThrows(
        IOException.class,
        () -> new Interpreters(Map.of(Runtime.PYTHON3, fake)).resolve(Runtime.PYTHON3));
  }

  @Test
  void builder_relativeOrUnknownInterpreter_refused() {
    assertThrows(
        IllegalArgumentException.class,
        () -> ModuleManager.builder().interpreter("java", Path.of("/usr/bin/java")));
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                ModuleManager.builder()
                    .interpreter("python3", Path.of("python3"))
                    .modulesDir(tmp)
                    .runtimeDir(tmp)
                    .launcher(ModuleLauncher.plainProcesses())
                    .build());
    assertTrue(
        e.getMessage().contains("interpreter for python3 must be an absolute path"),
        e.getMessage());
  }
}
