package org.blvm.node.host;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import org.blvm.loader.ModuleManager;
import org.blvm.protocol.Message;
import org.blvm.sandbox.SandboxOptions;

/**
 * {@code blvm-node --demo}: lays out a home (dev key, policy, node config, the example module under
 * several names, signed) and runs the node on it, printing what the node publishes and what each
 * module reports back, until Ctrl-C, or until {@code --blocks} blocks were published and every
 * module reported them, then a summary.
 */
final class Demo {
  /** The longest path a Unix socket address holds (sun_path less its terminating NUL). */
  private static final int MAX_SOCKET_PATH = 107;

  private Demo() {}

  /**
   * Where the demo goes as root when the default home is below a directory sandboxes cannot enter.
   */
  static final Path ROOT_FALLBACK = Path.of("/var/lib/blvm-demo");

  /**
   * Runs the demo; returns the exit code.
   *
   * @param homeGiven whether the user chose {@code home}; the default is replaced by {@link
   *     #ROOT_FALLBACK} when the node runs as root and the sandboxes (other uids) could not pass
   *     through its parents
   */
  static int run(
      Path home,
      boolean homeGiven,
      int modules,
      int blocks,
      Path moduleJar,
      PrintWriter out,
      PrintWriter err)
      throws Exception {
    Path h = home.toAbsolutePath().normalize();
    Path closed = isRoot() ? closedAncestor(h) : null;
    if (closed != null && !homeGiven) {
      out.println(
          "blvm demo: "
              + h
              + " is below "
              + closed
              + ", which the sandboxes (other uids) cannot enter; using "
              + ROOT_FALLBACK
              + " instead (choose another with --home)");
      h = ROOT_FALLBACK;
    }
    NodePaths paths = NodePaths.home(h);
    String longest =
        paths.runtime().resolve("block-reporter-" + modules).resolve("module.sock").toString();
    if (longest.getBytes(StandardCharsets.UTF_8).length > MAX_SOCKET_PATH) {
      err.println(
          "blvm-node: --home "
              + h
              + " is too long: the module sockets below it ("
              + longest
              + ") would exceed the "
              + MAX_SOCKET_PATH
              + " bytes of a Unix socket path; choose a shorter directory");
      return NodeExitCodes.USAGE;
    }
    try {
      DemoHome.prepare(h);
    } catch (DemoHome.RefusedException e) {
      err.println("blvm-node: " + e.getMessage());
      return NodeExitCodes.USAGE;
    }
    // JNA (seccomp) and junixsocket (the sockets) unpack their native libraries into the home
    // rather than the user's home directory or /tmp, unless told otherwise
    Path nativeTmp = Files.createDirectories(h.resolve("tmp"));
    for (String property : List.of("jna.tmpdir", "org.newsclub.net.unix.library.tmpdir")) {
      if (System.getProperty(property) == null) {
        System.setProperty(property, nativeTmp.toString());
      }
    }
    List<String> names = DemoLayout.write(h, moduleJar, modules, new SecureRandom());
    intro(h, paths, names, blocks, out);
    DemoReports reports = new DemoReports(names, out);
    ModuleManager.Builder builder =
        ModuleManager.builder()
            .stopGrace(Duration.ofSeconds(3))
            .onModuleEvent(reports::moduleEvent)
            .onModuleLog(
                (id, level, message) -> {
                  if (level == Message.LogLevel.WARN || level == Message.LogLevel.ERROR) {
                    out.println("  [" + id + "] " + level.wireName() + ": " + message);
                    out.flush();
                  }
                });
    return RunCommand.run(
        paths,
        out,
        builder,
        reports::published,
        (node, stop) -> {
          if (blocks == 0) {
            stop.await();
            reports.summarize(0, node.modules());
            return NodeExitCodes.OK;
          }
          if (!reports.await(blocks, stop, node.modules())) {
            out.println("demo stopped before " + blocks + " blocks");
            reports.summarize(0, node.modules());
            return NodeExitCodes.OK;
          }
          boolean ok = reports.summarize(blocks, node.modules());
          out.println(
              ok ? "demo finished: every module saw every block" : "demo FAILED: blocks missed");
          return ok ? NodeExitCodes.OK : NodeExitCodes.STARTUP;
        });
  }

  private static boolean isRoot() {
    return "root".equals(System.getProperty("user.name"));
  }

  /** The nearest existing ancestor of {@code dir} that others may not enter, or null. */
  static Path closedAncestor(Path dir) throws IOException {
    for (Path d = dir.getParent(); d != null; d = d.getParent()) {
      if (Files.isDirectory(d)
          && !Files.getPosixFilePermissions(d).contains(PosixFilePermission.OTHERS_EXECUTE)) {
        return d;
      }
    }
    return null;
  }

  private static void intro(
      Path home, NodePaths paths, List<String> names, int blocks, PrintWriter out)
      throws IOException {
    String keyId = Files.readAllLines(home.resolve("keys").resolve("dev.pub")).get(0);
    keyId = keyId.substring(keyId.lastIndexOf(' ') + 1);
    boolean root = isRoot();
    out.println("blvm demo: a node with a simulated chain and " + names.size() + " modules");
    out.println("  home          " + home);
    out.println("  policy        " + paths.policy() + " (trusts only the dev key " + keyId + ")");
    out.println("  node config   " + paths.config() + " ([simulation]: a block every 2 s)");
    out.println("  modules       " + paths.modules() + ": " + String.join(", ", names));
    out.println("  dev key       " + home.resolve("keys") + "/dev.key (secret, 0600) and dev.pub");
    out.println("  state         " + paths.state() + " (version ratchet, binary store, audit log)");
    out.println("  runtime       " + paths.runtime() + " (sockets, module output logs)");
    out.println("  admin socket  " + paths.adminSocket());
    SandboxOptions sandbox = SandboxOptions.defaults();
    out.println(
        "modules run sandboxed: bubblewrap namespaces, the \"default\" seccomp profile and"
            + " rlimits"
            + (root
                ? sandbox.moduleUids() == null
                    ? ", as host user " + sandbox.user()
                    : ", each as its own host uid from " + sandbox.moduleUids()
                : ""));
    String h = home.toString();
    out.println("in a second terminal:");
    out.println("  bin/blvm-loader modules list --home " + h);
    out.println("  bin/blvm-loader modules status " + names.get(0) + " --home " + h);
    out.println("  bin/blvm-loader modules stop " + names.get(0) + " --home " + h);
    out.println("  bin/blvm-loader modules start " + names.get(0) + " --home " + h);
    out.println("  bin/blvm-loader audit -f --home " + h);
    out.println("  bin/blvm-loader policy reload --home " + h + "   (after editing the policy)");
    out.println(
        blocks == 0
            ? "the node runs until Ctrl-C"
            : "the node runs until it published " + blocks + " blocks (or Ctrl-C)");
    out.flush();
  }
}
