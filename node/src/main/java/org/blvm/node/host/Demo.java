package org.blvm.node.host;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.logging.Handler;
import java.util.logging.LogManager;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;
import java.util.logging.StreamHandler;
import org.blvm.loader.ModuleManager;
import org.blvm.sandbox.SandboxOptions;

/**
 * {@code blvm-node --demo}: lays out a home ({@link DemoLayout}: the four modules of
 * docs/modules.md, blvm-mesh twice, each signed and granted exactly its row), starts the webhook
 * receiver blvm-governance posts to ({@link DemoWebhooks}), runs the node on the home and a Stratum
 * V2 miner against blvm-stratum-v2 ({@link DemoMiner}), and shows what each module does ({@link
 * DemoBoard}): redrawn in place on a terminal, as plain lines otherwise. Runs until Ctrl-C, or
 * until {@code --blocks} blocks were published and each module showed its work (at most {@link
 * #GRACE} more), then prints the summary.
 */
final class Demo {
  /** The longest path a Unix socket address holds (sun_path less its terminating NUL). */
  private static final int MAX_SOCKET_PATH = 107;

  /** How long after {@code --blocks} blocks the demo waits for a module still to show its work. */
  static final Duration GRACE = Duration.ofSeconds(40);

  /** ANSI: cursor home, clear the screen. */
  private static final String CLEAR = "\033[H\033[2J";

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
      int blocks,
      DemoLayout.Built built,
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
        paths.runtime().resolve(DemoLayout.GOVERNANCE).resolve("module.sock").toString();
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
    boolean screen = System.console() != null;
    String header = screen ? header(h) : null;
    SecureRandom random = new SecureRandom();
    byte[] raw = new byte[32];
    random.nextBytes(raw);
    // the HMAC key: in this process and in the node config (0600) only
    String secret = HexFormat.of().formatHex(raw);
    DemoBoard board = new DemoBoard(screen ? line -> {} : line -> print(out, line));
    Path dir = h;
    boolean[] first = {true};
    try (DemoWebhooks hooks = new DemoWebhooks(secret.getBytes(StandardCharsets.UTF_8), board)) {
      return DemoPorts.run(
          Demo::freePort,
          (stratum, mesh) -> {
            if (!first[0]) {
              DemoHome.prepare(dir); // a new layout for the fresh ports
              Files.createDirectories(nativeTmp);
            }
            first[0] = false;
            DemoLayout.Ports ports = new DemoLayout.Ports(hooks.port(), stratum, mesh);
            List<String> names = DemoLayout.write(dir, built, ports, secret, random);
            intro(dir, paths, names, ports, blocks, out);
            if (screen) {
              logToFile(paths.runtime().resolve("node.log"));
            }
            return attempt(paths, ports, board, blocks, header, out);
          },
          out,
          err);
    }
  }

  /** Runs the node on a layout written for {@code ports}, with the miner against its pool. */
  private static DemoPorts.Outcome attempt(
      NodePaths paths,
      DemoLayout.Ports ports,
      DemoBoard board,
      int blocks,
      String header,
      PrintWriter out)
      throws Exception {
    ModuleManager.Builder builder =
        ModuleManager.builder()
            .stopGrace(Duration.ofSeconds(3))
            .onModuleEvent(board::moduleEvent)
            .onModuleLog(board::moduleLog);
    AtomicReference<String> taken = new AtomicReference<>();
    try (DemoMiner miner = new DemoMiner(ports.stratum(), board)) {
      int code =
          RunCommand.run(
              paths,
              out,
              builder,
              board::published,
              (node, stop) ->
                  until(node.modules(), ports, taken, stop, board, miner, blocks, header, out));
      return taken.get() == null
          ? DemoPorts.Outcome.done(code)
          : DemoPorts.Outcome.taken(taken.get());
    }
  }

  /**
   * Runs the miner and the screen until stopped or done; prints the summary; the exit code. Ends at
   * once, with the address in {@code taken}, when a module could not listen on its port.
   */
  private static int until(
      ModuleManager manager,
      DemoLayout.Ports ports,
      AtomicReference<String> taken,
      CountDownLatch stop,
      DemoBoard board,
      DemoMiner miner,
      int blocks,
      String screen,
      PrintWriter out)
      throws InterruptedException {
    Function<String, String> state =
        name -> manager.status(name).map(s -> s.state().name()).orElse("-");
    miner.start();
    long reached = 0;
    boolean stopped = false;
    long nextDraw = 0;
    while (true) {
      if (screen != null && System.nanoTime() - nextDraw >= 0) {
        nextDraw = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(500);
        StringBuilder b = new StringBuilder(CLEAR).append(screen);
        board.render(state).forEach(l -> b.append(l).append('\n'));
        print(out, b.toString());
      }
      if (stop.await(100, TimeUnit.MILLISECONDS)) {
        stopped = true;
        break;
      }
      String port = DemoPorts.taken(manager::status, ports);
      if (port != null) {
        taken.set(port);
        return NodeExitCodes.STARTUP;
      }
      if (blocks > 0 && board.blocks() >= blocks) {
        if (reached == 0) {
          reached = System.nanoTime();
        }
        if (board.missing() == null || System.nanoTime() - reached > GRACE.toNanos()) {
          break;
        }
      }
    }
    miner.close();
    print(out, screen != null ? CLEAR + "summary:" : "summary:");
    board.render(state).forEach(l -> print(out, l));
    if (blocks == 0 || stopped) {
      return NodeExitCodes.OK;
    }
    String missing = board.missing();
    print(
        out,
        missing == null
            ? "demo finished: each module did its work"
            : "demo FAILED after " + blocks + " blocks: " + missing);
    return missing == null ? NodeExitCodes.OK : NodeExitCodes.STARTUP;
  }

  /** The top of the screen: the home and how to reach the node from a second terminal. */
  private static String header(Path home) {
    return "blvm demo: the four modules, sandboxed, each with only its grants. Ctrl-C stops.\n"
        + "  home "
        + home
        + " (node log: run/node.log); in a second terminal:\n"
        + "  bin/blvm-loader modules list --home "
        + home
        + "\n\n";
  }

  private static void print(PrintWriter out, String line) {
    synchronized (out) {
      out.println(line);
      out.flush();
    }
  }

  /** On a terminal the node's own log would scroll the screen away: it goes to {@code file}. */
  private static void logToFile(Path file) throws IOException {
    Files.createDirectories(file.getParent());
    OutputStream os = Files.newOutputStream(file);
    Logger root = LogManager.getLogManager().getLogger("");
    for (Handler old : root.getHandlers()) {
      root.removeHandler(old);
    }
    StreamHandler h =
        new StreamHandler(os, new SimpleFormatter()) {
          @Override
          public synchronized void publish(java.util.logging.LogRecord r) {
            super.publish(r);
            flush();
          }
        };
    root.addHandler(h);
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
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
      Path home,
      NodePaths paths,
      List<String> names,
      DemoLayout.Ports ports,
      int blocks,
      PrintWriter out)
      throws IOException {
    String keyId = Files.readAllLines(home.resolve("keys").resolve("dev.pub")).get(0);
    keyId = keyId.substring(keyId.lastIndexOf(' ') + 1);
    boolean root = isRoot();
    out.println("blvm demo: a node with a simulated chain and the four modules of docs/modules.md");
    out.println("  home          " + home);
    out.println("  policy        " + paths.policy() + " (trusts only the dev key " + keyId + ")");
    out.println(
        "  node config   "
            + paths.config()
            + " (0600: [simulation], [governance] with its secret)");
    out.println("  modules       " + paths.modules() + ": " + String.join(", ", names));
    out.println(
        "  webhooks      blvm-governance posts to the demo's receiver on 127.0.0.1:"
            + ports.webhook()
            + ", which checks each HMAC");
    out.println(
        "  mining        blvm-stratum-v2 serves 127.0.0.1:"
            + ports.stratum()
            + "; the demo's miner submits shares");
    out.println(
        "  mesh          mesh-b listens on 127.0.0.1:"
            + ports.mesh()
            + ", mesh-a dials it; mesh-probe routes a packet on every block");
    out.println("  dev key       " + home.resolve("keys") + "/dev.key (secret, 0600) and dev.pub");
    out.println("  state         " + paths.state() + " (version ratchet, binary store, audit log)");
    out.println("  runtime       " + paths.runtime() + " (sockets, module output logs)");
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
    out.println("  bin/blvm-loader modules status " + DemoLayout.LIGHTNING + " --home " + h);
    out.println("  bin/blvm-loader modules stop " + DemoLayout.MESH_B + " --home " + h);
    out.println("  bin/blvm-loader modules start " + DemoLayout.MESH_B + " --home " + h);
    out.println("  bin/blvm-loader audit -f --home " + h);
    out.println("  bin/blvm-loader policy reload --home " + h + "   (after editing the policy)");
    out.println(
        blocks == 0
            ? "the node runs until Ctrl-C"
            : "the node runs until it published "
                + blocks
                + " blocks and each module did its work (or Ctrl-C)");
    out.flush();
  }
}
