package org.blvm.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.blvm.demo.SimulatedChain;
import org.blvm.loader.ModuleManager;
import org.blvm.loader.ModuleState;
import org.blvm.sandbox.SandboxOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What an interpreted (Python) module sees of the host under the default profile (docs/sandbox.md):
 * a real sandboxed CPython module, a probe script of its own signed tree, tries the paths {@link
 * SandboxFilesIT#notVisible} lists for every module (the loader's directories, another module's
 * tree and data, the node config, host files such as {@code /etc/shadow}, the homes) and finds none
 * of them; and it fills its private {@code /tmp} past 64 MiB: the write fails with ENOSPC at the
 * cap, nothing reaches the host's {@code /tmp}, and the loader goes on.
 */
class SandboxPythonFilesIT {
  static final int ENOENT = 2;
  static final int ENOSPC = 28;
  static final long MIB = 1024 * 1024;

  /**
   * The probe: {@code r:PATH} reads a byte, {@code l:PATH} lists a directory, {@code t:NAME:MIB}
   * writes MIB MiB into {@code /tmp/NAME}; each prints its outcome (an errno on failure), then
   * {@code done}. It never says hello, so the loader ends it as FAILED after printing.
   */
  private static final String PROBE =
      String.join(
          "\n",
          "import os, sys",
          "for a in sys.argv[1:]:",
          "    kind, arg = a[0], a[2:]",
          "    try:",
          "        if kind == 'r':",
          "            with open(arg, 'rb') as f:",
          "                f.read(1)",
          "            print('read', arg, 'ok')",
          "        elif kind == 'l':",
          "            for n in sorted(os.listdir(arg)):",
          "                print('ls', arg, n)",
          "            print('ls', arg, 'end')",
          "        elif kind == 't':",
          "            name, mib = arg.split(':')",
          "            chunk = b'x' * (1024 * 1024)",
          "            total = 0",
          "            fd = os.open('/tmp/' + name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)",
          "            try:",
          "                while total < int(mib) * len(chunk):",
          "                    total += os.write(fd, chunk)",
          "                print('tmp wrote', total, 'ok')",
          "            except OSError as e:",
          "                print('tmp wrote', total, 'errno', e.errno)",
          "            finally:",
          "                os.close(fd)",
          "    except OSError as e:",
          "        print('read' if kind == 'r' else 'ls', arg, e.errno)",
          "print('done')",
          "");

  @TempDir Path tmp;

  /** Installs the probe as Python module {@code pyprobe} with {@code args}, signed. */
  private static void installProbe(Path modules, List<String> args) throws IOException {
    Path dir = Files.createDirectories(modules.resolve("pyprobe"));
    Files.writeString(dir.resolve("probe.py"), PROBE);
    List<String> quoted = args.stream().map(a -> "\"" + a + "\"").toList();
    Files.writeString(
        dir.resolve("module.toml"),
        "name = \"pyprobe\"\nversion = \"1.0.0\"\nruntime = \"python3\"\nentry = \"probe.py\"\n"
            + "args = ["
            + String.join(", ", quoted)
            + "]\ncapabilities = []\n");
    ModuleFixture.sign(dir);
  }

  /** Runs the probe beside a native module {@code other}; returns the probe's output. */
  private String run(ProbeArgs args) throws Exception {
    SandboxOptions o = SandboxFixture.requireSandbox();
    SandboxFixture.letSandboxEnter(tmp);
    Path modules = Files.createDirectories(tmp.resolve("modules"));
    Path state = tmp.resolve("state");
    Path data = tmp.resolve("data");
    Path run = tmp.resolve("run");
    Path nodeConfig = Files.writeString(tmp.resolve("node.toml"), "[rpc]\npassword = \"s3cret\"\n");
    SandboxFixture.installNative(modules, "other", "mod-ok");
    Path log = run.resolve("pyprobe.out.log");
    try (ModuleManager m =
        SandboxFixture.manager(tmp, o, new SimulatedChain())
            .admission(ModuleFixture.admission(state))
            .dataDir(data)
            .nodeConfig(nodeConfig)
            .build()) {
      m.start(); // nothing but other: the probe's args need other's tree and data first
      assertTrue(
          m.awaitState("other", ModuleState.INITIALIZED, Duration.ofSeconds(30)),
          "" + m.statuses());
      Path trees = state.resolve("store/trees");
      Path otherTree;
      try (Stream<Path> s = Files.list(trees)) {
        otherTree = s.filter(t -> Files.exists(t.resolve("mod-ok"))).findFirst().orElseThrow();
      }
      // the probe's own manifest exists on the host before the list of what it may not read
      Files.writeString(
          Files.createDirectories(modules.resolve("pyprobe")).resolve("module.toml"), "");
      List<String> probes =
          args.of(modules, state, run, nodeConfig, otherTree, data.resolve("other"));
      installProbe(modules, probes);
      m.startModule(modules.resolve("pyprobe"));
      String out = SandboxFixture.awaitLog(log, "done\n");
      // the loader goes on: the other module is untouched, the manager answers
      assertEquals(ModuleState.INITIALIZED, m.status("other").orElseThrow().state());
      return out;
    }
  }

  /** The probe's arguments, given the layout the run made. */
  @FunctionalInterface
  private interface ProbeArgs {
    List<String> of(
        Path modules, Path state, Path run, Path nodeConfig, Path otherTree, Path otherData)
        throws IOException;
  }

  @Test
  void pythonModule_defaultProfile_seesNoneOfTheLoadersNorTheHostsFiles() throws Exception {
    List<String> denied = new ArrayList<>();
    String out =
        run(
            (modules, state, run, nodeConfig, otherTree, otherData) -> {
              denied.addAll(
                  SandboxFilesIT.notVisible(
                      modules, "pyprobe", state, run, nodeConfig, otherTree, otherData));
              return denied;
            });
    assertTrue(denied.size() >= 12, "" + denied);
    for (String d : denied) {
      String path = d.substring(2);
      String verb = d.startsWith("r:") ? "read " : "ls ";
      assertTrue(out.contains(verb + path + " " + ENOENT + "\n"), d + ":\n" + out);
    }
  }

  @Test
  void pythonModule_writingPast64MiBIntoTmp_ENOSPCAtTheCap_hostTmpUntouched_loaderGoesOn()
      throws Exception {
    String name = "blvm-fill-" + Long.toHexString(System.nanoTime());
    String out =
        run(
            (modules, state, run, nodeConfig, otherTree, otherData) ->
                List.of("t:" + name + ":80"));
    Matcher w = Pattern.compile("tmp wrote (\\d+) errno (\\d+)\n").matcher(out);
    assertTrue(w.find(), out);
    long written = Long.parseLong(w.group(1));
    assertEquals(ENOSPC, Integer.parseInt(w.group(2)), out);
    assertTrue(written <= 64 * MIB && written >= 48 * MIB, "written " + written + "\n" + out);
    assertFalse(Files.exists(Path.of("/tmp", name)), "the sandbox's /tmp is its own");
  }
}
