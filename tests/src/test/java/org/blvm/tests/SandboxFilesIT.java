package org.blvm.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.blvm.demo.SimulatedChain;
import org.blvm.loader.ModuleManager;
import org.blvm.loader.ModuleState;
import org.blvm.sandbox.SandboxOptions;
import org.blvm.testsupport.Poll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a sandboxed module sees of the loader's files (docs/sandbox.md, mount namespace): a real
 * module (the helper, {@code files} mode, its probes in its signed {@code args}) opens and lists
 * the loader's directories at their host paths while another module runs beside it. It finds only
 * what its launch binds: its own verified tree and its own data directory; never the modules
 * directory, the store's other trees (another module's, its own older version), the state
 * directory's files, the runtime directory (sockets, logs), the node config or another module's
 * data. Each refusal is checked against the host, where the path exists.
 */
class SandboxFilesIT {
  static final int ENOENT = 2;
  static final int EROFS = 30;

  @TempDir Path tmp;

  /** Installs the helper as native module {@code probe} at {@code version} with these args. */
  private static Path installProbe(Path modules, String version, List<String> args)
      throws IOException {
    Path dir = Files.createDirectories(modules.resolve("probe"));
    Path entry = dir.resolve("probe");
    Files.copy(SandboxFixture.helper(), entry, StandardCopyOption.REPLACE_EXISTING);
    Files.setPosixFilePermissions(entry, PosixFilePermissions.fromString("rwxr-xr-x"));
    // each version's binary differs, so each version is a tree of its own in the store
    Files.writeString(
        entry, "\nversion " + version + "\n", java.nio.file.StandardOpenOption.APPEND);
    List<String> quoted = new ArrayList<>();
    for (String a : args) {
      quoted.add("\"" + a + "\"");
    }
    Files.writeString(
        dir.resolve("module.toml"),
        "name = \"probe\"\nversion = \""
            + version
            + "\"\nruntime = \"native\"\nentry = \"probe\"\nargs = ["
            + String.join(", ", quoted)
            + "]\ncapabilities = []\n");
    ModuleFixture.sign(dir);
    return dir;
  }

  /**
   * The output of the probe's last run (after its last launch line) once it printed {@code end}.
   */
  private static String lastRun(Path log, String end) throws Exception {
    Poll.until(
        () -> {
          try {
            return Files.exists(log) && afterLastLaunch(Files.readString(log)).contains(end);
          } catch (IOException e) {
            throw new IllegalStateException(e);
          }
        },
        Duration.ofSeconds(30),
        "probe printed " + end);
    return afterLastLaunch(Files.readString(log));
  }

  private static String afterLastLaunch(String text) {
    int i = text.lastIndexOf(" launched, pid ");
    return i < 0 ? "" : text.substring(i);
  }

  /** The entries of {@code dir} on the host. */
  private static List<Path> list(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.sorted().toList();
    }
  }

  @Test
  void module_seesOnlyItsTreeAndItsData_notTheLoadersFilesNorAnotherModules() throws Exception {
    SandboxOptions o = SandboxFixture.requireSandbox();
    SandboxFixture.letSandboxEnter(tmp);
    Path modules = Files.createDirectories(tmp.resolve("modules"));
    Path state = tmp.resolve("state");
    Path data = tmp.resolve("data");
    Path run = tmp.resolve("run");
    Path trees = state.resolve("store/trees");
    Path nodeConfig = Files.writeString(tmp.resolve("node.toml"), "[rpc]\npassword = \"s3cret\"\n");
    SandboxFixture.installNative(modules, "other", "mod-ok");
    Path probe = installProbe(modules, "1.0.0", List.of("files", "l:" + trees));
    Path log = run.resolve("probe.out.log");

    try (ModuleManager m =
        SandboxFixture.manager(tmp, o, new SimulatedChain())
            .admission(ModuleFixture.admission(state))
            .dataDir(data)
            .nodeConfig(nodeConfig)
            .build()) {
      m.start();
      assertTrue(
          m.awaitState("other", ModuleState.INITIALIZED, Duration.ofSeconds(30)),
          "" + m.statuses());
      String v1 = lastRun(log, "ls " + trees + " end");
      // the store holds two trees; version 1 of the probe sees only its own
      List<Path> stored = list(trees);
      assertEquals(2, stored.size(), "" + stored);
      Path otherTree =
          stored.stream().filter(t -> Files.exists(t.resolve("mod-ok"))).findFirst().orElseThrow();
      Path v1Tree = stored.stream().filter(t -> !t.equals(otherTree)).findFirst().orElseThrow();
      assertTrue(v1.contains("ls " + trees + " " + v1Tree.getFileName() + "\n"), v1);
      assertTrue(!v1.contains(otherTree.getFileName().toString()), v1);

      Path otherData = data.resolve("other");
      List<String> denied =
          notVisible(modules, "probe", state, run, nodeConfig, otherTree, otherData);
      denied.add("r:" + v1Tree.resolve("probe"));
      assertTrue(Files.exists(v1Tree.resolve("probe")), "the control: version 1 exists");
      List<String> args = new ArrayList<>(List.of("files"));
      args.addAll(denied);
      args.addAll(
          List.of(
              "l:" + tmp,
              "l:" + state,
              "l:" + trees,
              "l:" + data,
              "w:" + v1Tree.resolve("evil"),
              "r:" + data.resolve("probe/mine"),
              "w:" + data.resolve("probe/mine"),
              "r:" + data.resolve("probe/mine"),
              "w:" + data.resolve("probe/done")));
      installProbe(modules, "1.0.1", args);
      assertTrue(Files.exists(v1Tree), "version 1 is still in the store: " + list(trees));

      m.unloadModule("probe"); // version 1 ended (FAILED: it never says hello); admit 1.0.1
      m.startModule(probe);
      String out = lastRun(log, "write " + data.resolve("probe/done"));

      for (String d : denied) {
        String path = d.substring(2);
        String verb = d.startsWith("r:") ? "read " : "ls ";
        assertTrue(out.contains(verb + path + " " + ENOENT + "\n"), d + ":\n" + out);
      }
      // the path to its own files exists inside, and holds nothing else
      Path v2Tree =
          list(trees).stream()
              .filter(t -> !t.equals(otherTree) && !t.equals(v1Tree))
              .findFirst()
              .orElseThrow();
      assertEquals(
          List.of("ls " + tmp + " data", "ls " + tmp + " state", "ls " + tmp + " end"),
          lines(out, "ls " + tmp + " "));
      assertEquals(
          List.of("ls " + state + " store", "ls " + state + " end"),
          lines(out, "ls " + state + " "));
      assertEquals(
          List.of("ls " + trees + " " + v2Tree.getFileName(), "ls " + trees + " end"),
          lines(out, "ls " + trees + " "));
      assertEquals(
          List.of("ls " + data + " probe", "ls " + data + " end"), lines(out, "ls " + data + " "));
      // its own: the data directory is writable and readable, an older tree neither
      assertTrue(out.contains("write " + v1Tree.resolve("evil") + " " + ENOENT + "\n"), out);
      assertTrue(out.contains("read " + data.resolve("probe/mine") + " " + ENOENT + "\n"), out);
      assertTrue(out.contains("write " + data.resolve("probe/mine") + " ok\n"), out);
      assertTrue(out.contains("read " + data.resolve("probe/mine") + " ok\n"), out);
      assertTrue(out.contains("write " + data.resolve("probe/done") + " ok\n"), out);
    }
  }

  /**
   * What no sandboxed module may see of the loader's files and the host's, as probes: {@code
   * r:PATH} (read a file) and {@code l:PATH} (list a directory). {@code self} is the probing module
   * in {@code modules}; {@code otherTree} and {@code otherData} are the verified tree and the data
   * directory of a module {@code other} running beside it. Every path exists on the host
   * (asserted), so a refusal inside is the sandbox's doing.
   */
  static List<String> notVisible(
      Path modules,
      String self,
      Path state,
      Path run,
      Path nodeConfig,
      Path otherTree,
      Path otherData)
      throws IOException {
    Files.writeString(otherData.resolve("secret.txt"), "the other module's\n");
    List<String> denied =
        new ArrayList<>(
            List.of(
                "r:" + modules.resolve("other/module.toml"),
                "r:" + modules.resolve(self + "/module.toml"),
                "r:" + otherTree.resolve("mod-ok"),
                "r:" + state.resolve("versions"),
                "r:" + nodeConfig,
                "r:" + otherData.resolve("secret.txt"),
                "r:" + run.resolve("other.out.log"),
                "l:" + modules,
                "l:" + otherData,
                "l:" + run.resolve("other"),
                "l:" + run));
    // host files no sandbox gets: the password hashes, the resolver's configuration (the loader
    // resolves names), the CA certificates (bound only with network_connect), the homes
    for (String p :
        List.of(
            "/etc/shadow",
            "/etc/resolv.conf",
            "/etc/hosts",
            "/etc/nsswitch.conf",
            "/etc/ssl/certs",
            "/root",
            "/home")) {
      if (Files.exists(Path.of(p))) {
        denied.add((Files.isDirectory(Path.of(p)) ? "l:" : "r:") + p);
      }
    }
    for (String d : denied) {
      Path host = Path.of(d.substring(2));
      assertTrue(Files.exists(host), "the control: " + host + " exists on the host");
    }
    return denied;
  }

  /** The lines of {@code out} that start with {@code prefix}, in order. */
  private static List<String> lines(String out, String prefix) {
    return out.lines().filter(l -> l.startsWith(prefix)).toList();
  }
}
