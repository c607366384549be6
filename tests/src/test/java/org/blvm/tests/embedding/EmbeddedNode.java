package org.blvm.tests.embedding;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.blvm.loader.ModuleManager;
import org.blvm.loader.ModuleStatus;
import org.blvm.loader.NodeBackend;
import org.blvm.policy.Admission;
import org.blvm.policy.Policy;
import org.blvm.protocol.Api;
import org.blvm.protocol.EventPayloads;
import org.blvm.protocol.EventType;
import org.blvm.sandbox.SandboxOptions;

/**
 * A node embedding the blvm loader: the operator's policy file, the admission's state directory,
 * sandboxed modules, the node's NodeAPI backend, events published to the modules, state changes
 * listened to, a policy reload, and a clean shutdown.
 *
 * <p>Arguments: POLICY MODULES STATE DATA RUNTIME. It mines three blocks, waits for three reports
 * (a module that reports every block it sees, such as the project's test module), and stops.
 */
public final class EmbeddedNode {
  /** The node's side of the NodeAPI: here, just the blocks it mined. */
  static final class Chain implements NodeBackend {
    final Map<String, Api.Block> blocks = new ConcurrentHashMap<>();
    volatile Api.Block tip;

    Api.Block mine() {
      long height = tip == null ? 1 : tip.header().height() + 1;
      String prev = tip == null ? "00".repeat(32) : tip.header().hash();
      String hash = String.format("%064x", height * 0x9e3779b97f4a7c15L & Long.MAX_VALUE);
      Api.Block b =
          new Api.Block(
              new Api.BlockHeader(
                  hash, prev, hash, height, 1_767_225_600L + height, 0x207fffff, 0, 4),
              List.of(hash),
              285);
      blocks.put(hash, b);
      tip = b;
      return b;
    }

    @Override
    public Optional<Api.Block> getBlock(String hash) {
      return Optional.ofNullable(blocks.get(hash));
    }

    @Override
    public Api.ChainTip getChainTip() {
      return new Api.ChainTip(tip.header().hash(), tip.header().height());
    }
  }

  public static void main(String[] args) throws Exception {
    Path policyFile = Path.of(args[0]); // e.g. /etc/blvm/policy.toml
    Path modulesDir = Path.of(args[1]); // e.g. /var/lib/blvm/modules
    Path stateDir = Path.of(args[2]); // e.g. /var/lib/blvm/state
    Path dataDir = Path.of(args[3]); // e.g. /var/lib/blvm/data
    Path runtimeDir = Path.of(args[4]); // e.g. /run/blvm

    // 1. The operator's policy decides who may sign modules and what each may do. Policy.read
    // refuses a file with problems, listing every one (PolicyException.problems()).
    Policy policy = Policy.read(policyFile);
    // 2. Admission checks signatures, pins and versions; its state directory keeps the version
    // ratchet and the content-addressed store the modules run from. It is required.
    Admission admission = Admission.builder().policy(policy).stateDir(stateDir).build();

    Chain chain = new Chain();
    CountDownLatch reported = new CountDownLatch(3);
    try (ModuleManager modules =
        ModuleManager.builder()
            .admission(admission)
            .modulesDir(modulesDir)
            .dataDir(dataDir)
            .runtimeDir(runtimeDir)
            // 3. Every module in a bubblewrap sandbox with a seccomp profile and rlimits (the
            // default; shown here to say it). If the host cannot sandbox, no module starts.
            .sandbox(SandboxOptions.defaults())
            // 4. The node's NodeAPI: modules' get_block calls land here.
            .backend(chain)
            // events modules publish (custom topics they declared), for the node's own use
            .onModuleEvent(
                (source, type, payload) -> {
                  System.out.println("module event " + source + " " + type);
                  reported.countDown();
                })
            .build()) {
      // 5. State changes are pushed: no polling. Called on loader threads; return quickly.
      modules.addStateListener(
          c -> System.out.println("state " + c.module() + " " + c.from() + " -> " + c.to()));

      for (ModuleStatus s : modules.start()) {
        System.out.println("loaded " + s.name() + " " + s.state());
      }
      modules.awaitAllStarted(Duration.ofSeconds(60));

      // 6. Publish node events. publish never blocks on a module; each subscriber gets its copy.
      modules.publish(
          EventType.NodeStartupCompleted, new EventPayloads.NodeStartupCompleted("regtest", 0));
      for (int i = 0; i < 3; i++) {
        Api.Block b = chain.mine();
        Api.BlockHeader h = b.header();
        modules.publish(
            EventType.NewBlock,
            new EventPayloads.NewBlock(
                h.hash(), h.height(), h.prevHash(), h.time(), b.txids().size()));
      }
      if (!reported.await(60, TimeUnit.SECONDS)) {
        throw new IllegalStateException("the modules did not report every block");
      }

      // 7. The operator changed the policy file: apply it without a restart.
      System.out.println(
          "policy reload stopped " + modules.reloadPolicy(Policy.read(policyFile)).stopped());

      // 8. Shutdown: tell the modules, then close, which stops each one gracefully.
      modules.publish(EventType.NodeShutdown, new EventPayloads.NodeShutdown("node stopping"));
    }
    System.out.println("stopped");
  }
}
