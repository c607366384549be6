package org.blvm.demo;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.blvm.loader.ModuleManager;
import org.blvm.loader.ModuleState;
import org.blvm.loader.ModuleStatus;
import org.blvm.policy.Admission;
import org.blvm.policy.AdmissionException;
import org.blvm.policy.MinisignSecretKey;
import org.blvm.policy.ModuleSigner;
import org.blvm.policy.Policy;
import org.blvm.protocol.EventPayloads;
import org.blvm.protocol.EventType;
import org.blvm.sandbox.SandboxOptions;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The demo: a node with a simulated chain loads the test module under several names, mines a few
 * blocks, and prints what each module received and reported back; then stops one module and shows
 * the others keep running.
 */
@Command(
    name = "blvm-demo",
    mixinStandardHelpOptions = true,
    description = "Runs a simulated node with modules loaded through the blvm loader.")
public final class DemoNode implements Callable<Integer> {
  @Spec CommandLine.Model.CommandSpec spec;

  @Option(
      names = "--module-jar",
      required = true,
      description = "The test module jar to install under each module name.")
  Path moduleJar;

  @Option(
      names = "--work-dir",
      defaultValue = ".blvm-demo",
      description =
          "Where the demo lays out modules, data and logs: a new or empty directory, or one a"
              + " previous run made (it then replaces only what that run laid out).")
  Path workDir;

  @Option(names = "--modules", defaultValue = "2", description = "How many modules to run (1-8).")
  int moduleCount;

  @Option(names = "--blocks", defaultValue = "5", description = "How many blocks to mine (1-1000).")
  int blockCount;

  @Option(
      names = "--config",
      description =
          "The node config (TOML) whose sections modules may read per the policy; reloaded on"
              + " change and on SIGHUP (docs/config.md).")
  Path nodeConfig;

  /** The longest path a Unix socket address holds (sun_path less its terminating NUL). */
  private static final int MAX_SOCKET_PATH = 107;

  private final Map<String, List<Long>> reported = new ConcurrentHashMap<>();

  public static void main(String[] args) {
    if (System.getProperty("java.util.logging.SimpleFormatter.format") == null) {
      System.setProperty("java.util.logging.SimpleFormatter.format", "loader %4$s: %5$s%6$s%n");
    }
    System.exit(commandLine().execute(args));
  }

  /** The configured command line (tests set its output streams). */
  static CommandLine commandLine() {
    CommandLine cli = new CommandLine(new DemoNode());
    cli.setExecutionExceptionHandler(
        (e, cmd, parsed) -> {
          cmd.getErr().println("blvm-demo: " + e.getMessage());
          return 1;
        });
    return cli;
  }

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    if (moduleCount < 1 || moduleCount > 8 || blockCount < 1 || blockCount > 1000) {
      throw new CommandLine.ParameterException(
          spec.commandLine(), "--modules must be 1-8 and --blocks 1-1000");
    }
    if (!Files.isRegularFile(moduleJar)) {
      throw new CommandLine.ParameterException(
          spec.commandLine(), "--module-jar " + moduleJar + " is not a file");
    }
    try {
      WorkDir.prepare(workDir);
    } catch (WorkDir.RefusedException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    }
    // JNA (seccomp) and junixsocket (the sockets) unpack their native libraries into the work
    // directory rather than the user's home or /tmp, unless told otherwise
    Path nativeTmp = Files.createDirectories(workDir.resolve("tmp")).toAbsolutePath();
    for (String property : List.of("jna.tmpdir", "org.newsclub.net.unix.library.tmpdir")) {
      if (System.getProperty(property) == null) {
        System.setProperty(property, nativeTmp.toString());
      }
    }
    // A signing key for this run only: the demo signs its modules like an author would, and its
    // policy trusts exactly that key. The secret half is never written anywhere.
    MinisignSecretKey key = MinisignSecretKey.generate(new SecureRandom());
    List<String> names = layOutModules(key);
    Admission admission =
        Admission.builder()
            .policy(Policy.trusting(List.of(key.publicKey()), 1))
            .stateDir(workDir.resolve("state"))
            .build();
    // Sockets, the audit log and module output go into the work directory, unless its path is too
    // long for a socket path: then into a temporary directory, deleted at the end.
    Path runtime = workDir.resolve("run").toAbsolutePath();
    boolean temporaryRuntime = !fitsSocketPath(runtime);
    if (temporaryRuntime) {
      runtime = Files.createTempDirectory("blvm-demo-");
    }
    SimulatedChain chain = new SimulatedChain();
    out.println("blvm demo node: " + names.size() + " modules, " + blockCount + " blocks");
    out.println("modules signed with a fresh key " + key.keyId() + "; the policy trusts only it");
    SandboxOptions sandbox = SandboxOptions.defaults();
    out.println(
        "modules run sandboxed: bubblewrap namespaces, the \"default\" seccomp profile and"
            + " rlimits"
            + (isRoot() ? ", as host user " + sandbox.user() : ""));
    out.flush();
    boolean ok;
    ModuleManager.Builder builder = ModuleManager.builder();
    if (nodeConfig != null) {
      builder.nodeConfig(nodeConfig).reloadConfigOnSighup(true);
    }
    try (ModuleManager modules =
        builder
            .admission(admission)
            .sandbox(sandbox)
            .modulesDir(workDir.resolve("modules"))
            .runtimeDir(runtime)
            .dataDir(workDir.resolve("data"))
            .backend(chain)
            .stopGrace(Duration.ofSeconds(3))
            .onModuleEvent(this::onModuleEvent)
            .onModuleLog(
                (id, level, message) -> {
                  out.println("  [" + id + "] " + level.wireName() + ": " + message);
                  out.flush();
                })
            .build()) {
      for (ModuleStatus s : modules.start()) {
        out.println(
            "loaded "
                + s.name()
                + " "
                + s.version()
                + ": "
                + s.state()
                + (s.detail() == null ? "" : " (" + s.detail() + ")"));
      }
      modules.awaitAllStarted(Duration.ofSeconds(60));
      out.println("all modules started");
      for (int i = 0; i < blockCount; i++) {
        EventPayloads.NewBlock b = chain.mineBlock(i % 4);
        out.println("node: mined block " + b.height() + " " + b.hash() + ", publishing NewBlock");
        out.flush();
        modules.publish(EventType.NewBlock, b);
        awaitReports(names, b.height());
      }
      String stopped = names.get(0);
      out.println("node: stopping " + stopped);
      ModuleStatus s = modules.stopModule(stopped);
      out.println("node: " + stopped + " is " + s.state() + " (" + s.detail() + ")");
      List<String> running = names.subList(1, names.size());
      if (!running.isEmpty()) {
        EventPayloads.NewBlock b = chain.mineBlock(1);
        out.println(
            "node: mined block " + b.height() + ", publishing to the modules still running");
        modules.publish(EventType.NewBlock, b);
        awaitReports(running, b.height());
      }
      ok = summarize(out, names, stopped, modules);
    } finally {
      if (temporaryRuntime) {
        WorkDir.deleteTree(runtime);
      }
    }
    out.println(ok ? "demo finished: every module saw every block it should" : "demo FAILED");
    return ok ? 0 : 1;
  }

  /** Whether the longest module socket path below {@code runtime} fits a Unix socket address. */
  private static boolean fitsSocketPath(Path runtime) {
    String longest = runtime.resolve("block-reporter-8").resolve("module.sock").toString();
    return longest.getBytes(StandardCharsets.UTF_8).length <= MAX_SOCKET_PATH;
  }

  private static boolean isRoot() {
    return "root".equals(System.getProperty("user.name"));
  }

  private void onModuleEvent(String source, String type, JsonNode payload) {
    if ("test.block_seen".equals(type)) {
      reported
          .computeIfAbsent(source, k -> new CopyOnWriteArrayList<>())
          .add(payload.get("height").asLong());
      spec.commandLine()
          .getOut()
          .println(
              "node: <- "
                  + source
                  + " reports block "
                  + payload.get("height").asLong()
                  + " (event seq "
                  + payload.get("seq").asLong()
                  + ", "
                  + payload.get("tx_count").asInt()
                  + " txs via get_block)");
      spec.commandLine().getOut().flush();
    }
  }

  private void awaitReports(List<String> names, long height) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
    while (System.nanoTime() < deadline) {
      boolean all = true;
      for (String n : names) {
        all &= reported.getOrDefault(n, List.of()).contains(height);
      }
      if (all) {
        return;
      }
      Thread.sleep(5);
    }
  }

  private boolean summarize(
      PrintWriter out, List<String> names, String stopped, ModuleManager modules) {
    boolean ok = true;
    out.println("summary:");
    for (String n : names) {
      List<Long> seen = reported.getOrDefault(n, List.of());
      long expected = n.equals(stopped) ? blockCount : blockCount + 1;
      List<Long> want = new ArrayList<>();
      for (long h = 1; h <= expected; h++) {
        want.add(h);
      }
      boolean good = seen.equals(want);
      ok &= good;
      ModuleState state = modules.status(n).map(ModuleStatus::state).orElse(null);
      out.println(
          "  " + n + " (" + state + "): blocks " + seen + (good ? "" : " expected " + want));
    }
    return ok;
  }

  private List<String> layOutModules(MinisignSecretKey key) throws IOException, AdmissionException {
    List<String> names = new ArrayList<>();
    for (int i = 1; i <= moduleCount; i++) {
      String name = "block-reporter-" + i;
      Path dir = workDir.resolve("modules").resolve(name);
      Files.createDirectories(dir);
      Files.copy(moduleJar, dir.resolve("module.jar"), StandardCopyOption.REPLACE_EXISTING);
      Files.writeString(
          dir.resolve("module.toml"),
          String.join(
              "\n",
              "name = \"" + name + "\"",
              "version = \"0.1.0\"",
              "description = \"Reports every block it sees, after fetching it with get_block\"",
              "runtime = \"java\"",
              "entry = \"module.jar\"",
              "capabilities = [\"read_blockchain\", \"subscribe_events\", \"publish_events\","
                  + " \"register_module_api\"]",
              "provides = [\"echo\", \"call_back\"]",
              "publishes = [\"test.block_seen\"]",
              ""));
      ModuleSigner.sign(dir, key, null, true);
      names.add(name);
    }
    return names;
  }
}
