package org.blvm.node.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code blvm-node run --interpreter RUNTIME=PATH}: checked before anything starts. */
class InterpreterOptionsTest {
  @TempDir Path tmp;

  /** Runs {@code blvm-node run --home <tmp>/home ARGS}; returns the exit code and stderr. */
  private String[] run(String... args) {
    StringWriter err = new StringWriter();
    CommandLine cli = BlvmNode.commandLine();
    cli.setOut(new PrintWriter(new StringWriter(), true));
    cli.setErr(new PrintWriter(err, true));
    String[] all = new String[args.length + 3];
    all[0] = "run";
    all[1] = "--home";
    all[2] = tmp.resolve("home").toString();
    System.arraycopy(args, 0, all, 3, args.length);
    int code = cli.execute(all);
    return new String[] {Integer.toString(code), err.toString()};
  }

  private void assertRefused(String expected, String... args) {
    String[] r = run(args);
    assertEquals(Integer.toString(NodeExitCodes.USAGE), r[0], r[1]);
    assertTrue(r[1].contains("blvm-node: " + expected), r[1]);
    assertTrue(Files.notExists(tmp.resolve("home")), "nothing started: " + r[1]);
  }

  @Test
  void interpreter_relativeMissingNotAFileNotExecutableOrUnknownRuntime_usageErrorNamingIt()
      throws Exception {
    Path dir = Files.createDirectory(tmp.resolve("dir"));
    Path plain = Files.writeString(tmp.resolve("python3"), "#!/bin/sh\n");
    Files.setPosixFilePermissions(plain, PosixFilePermissions.fromString("rw-r--r--"));
    assertRefused(
        "--interpreter python3=python3: not an absolute path (it is never looked up on PATH)",
        "--interpreter",
        "python3=python3");
    Path missing = tmp.resolve("absent");
    assertRefused(
        "--interpreter node=" + missing + ": no such file", "--interpreter", "node=" + missing);
    assertRefused(
        "--interpreter python3=" + dir + ": not a regular file", "--interpreter", "python3=" + dir);
    // no execute bit at all: not executable for root either
    assertRefused(
        "--interpreter python3=" + plain + ": not executable", "--interpreter", "python3=" + plain);
    assertRefused(
        "--interpreter ruby=/usr/bin/ruby: \"ruby\" is not an interpreted runtime (python3, node)",
        "--interpreter",
        "ruby=/usr/bin/ruby");
  }

  @Test
  void interpreter_executableFiles_givenByRuntime() throws Exception {
    Path py = Files.writeString(tmp.resolve("my-python3"), "#!/bin/sh\n");
    Files.setPosixFilePermissions(py, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path node = Files.writeString(tmp.resolve("my-node"), "#!/bin/sh\n");
    Files.setPosixFilePermissions(node, PosixFilePermissions.fromString("rwxr-x---"));
    RunCommand cmd = new RunCommand();
    CommandLine cli = new CommandLine(cmd);
    cli.parseArgs("--interpreter", "python3=" + py, "--interpreter", "node=" + node);

    Map<String, Path> paths = cmd.interpreters.paths(cli.getCommandSpec());

    assertEquals(Map.of("python3", py, "node", node), paths);
  }
}
