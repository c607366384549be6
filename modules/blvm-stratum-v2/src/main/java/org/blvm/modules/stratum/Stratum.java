package org.blvm.modules.stratum;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Path;
import java.security.SecureRandom;
import org.blvm.protocol.EventPayloads;
import org.blvm.protocol.EventType;
import org.blvm.protocol.Message;
import org.blvm.sdk.ModuleClient;
import org.blvm.sdk.ModuleConnectException;
import org.blvm.sdk.NodeApiException;

/**
 * blvm-stratum-v2: a Stratum V2 pool on the node (docs/modules.md). It makes a mining job of every
 * block template the node announces ({@code BlockTemplateUpdated}, {@code get_block_template}),
 * publishes it as {@code stratum.mining_job_created}, serves miners standard channels on the
 * listening socket the node bound for it (plaintext: no Noise handshake), checks their shares and
 * submits the blocks among them ({@code submit_block}, then {@code stratum.block_found}).
 *
 * <p>Threads: the SDK's event thread makes jobs; {@code blvm-stratum-v2-acceptor} accepts miners;
 * each miner has a reader and a writer thread ({@link MinerSession}); {@code blvm-stratum-v2-state}
 * stores the counters ({@link StateStore}).
 *
 * <p>Exit status: 0 after a stop, 2 when connecting fails, 4 for an invalid config at start, 5 when
 * the node refuses the listening socket.
 */
public final class Stratum {
  static final int EXIT_CONNECT_FAILED = 2;
  static final int EXIT_BAD_CONFIG = 4;
  static final int EXIT_NO_LISTEN = 5;

  private volatile Pool pool;
  private volatile ModuleClient client;

  Stratum() {}

  public static void main(String[] args) throws InterruptedException {
    System.exit(new Stratum().run(args));
  }

  /**
   * Connects to the node named by {@code args}, serves until the node stops it; the exit status.
   */
  int run(String[] args) throws InterruptedException {
    ModuleClient c;
    try {
      c =
          ModuleClient.builder(args)
              .onEvent(
                  EventType.BlockTemplateUpdated,
                  EventPayloads.BlockTemplateUpdated.class,
                  (e, t) -> refresh("template for height " + t.height()))
              .onEvent(
                  EventType.NewBlock,
                  EventPayloads.NewBlock.class,
                  (e, b) -> log(true, "tip " + b.hash() + " height=" + b.height()))
              .onEvent(
                  EventType.EventsDropped,
                  EventPayloads.EventsDropped.class,
                  (e, d) -> refresh("events dropped"))
              .onConfig((own, visible, changed) -> onConfig(own, visible))
              .connect();
    } catch (ModuleConnectException e) {
      System.err.println("blvm-stratum-v2: cannot connect (" + e.reason() + "): " + e.getMessage());
      return EXIT_CONNECT_FAILED;
    }
    client = c;
    StratumConfig config;
    try {
      config = StratumConfig.read(c.config());
    } catch (StratumConfig.InvalidConfigException e) {
      c.log(Message.LogLevel.ERROR, "invalid config: " + e.getMessage());
      c.close();
      return EXIT_BAD_CONFIG;
    }
    ServerSocketChannel server;
    try {
      server = c.api().listen(config.listen());
    } catch (NodeApiException e) {
      c.log(Message.LogLevel.ERROR, "cannot listen on " + config.listen() + ": " + e.getMessage());
      c.close();
      return EXIT_NO_LISTEN;
    }
    StateStore state =
        new StateStore(Path.of(c.context().dataDir()), p -> c.log(Message.LogLevel.ERROR, p));
    Pool p = new Pool(c, config, state, new SecureRandom());
    pool = p;
    Thread acceptor = new Thread(() -> accept(server, p), "blvm-stratum-v2-acceptor");
    acceptor.setDaemon(true);
    acceptor.start();
    c.log(
        Message.LogLevel.INFO,
        "serving Stratum V2 on "
            + config.listen()
            + " max_connections="
            + config.maxConnections()
            + " share_zero_bits="
            + config.shareZeroBits());
    refresh("start");
    c.awaitShutdown();
    try {
      server.close();
    } catch (IOException e) {
      // stopping: the node closes its copy too
    }
    p.close();
    state.close();
    return 0;
  }

  private void accept(ServerSocketChannel server, Pool p) {
    while (true) {
      try {
        p.accept(server.accept());
      } catch (ClosedChannelException e) {
        return;
      } catch (IOException e) {
        log(false, "accept failed: " + e);
        return;
      }
    }
  }

  private void refresh(String why) {
    Pool p = pool;
    if (p == null) {
      return; // the first job is made once the pool exists
    }
    try {
      p.newTemplate(why);
    } catch (NodeApiException e) {
      log(false, "no job made (" + why + "): " + e.getMessage());
    }
  }

  /**
   * A new own config: applied to connections and channels opened from now on. A {@code
   * ConfigLoaded} without this module's table ({@code modules.<id>}) changes nothing and is warned.
   */
  private void onConfig(JsonNode own, JsonNode visible) {
    Pool p = pool;
    ModuleClient c = client;
    if (p == null || c == null) {
      return;
    }
    String id = c.context().moduleId();
    if (!visible.path("modules").path(id).isObject()) {
      log(false, "config refused, keeping the last good one: no table modules." + id);
      return;
    }
    try {
      StratumConfig next = StratumConfig.read(own);
      if (!next.listen().equals(p.config().listen())) {
        log(false, "listen changes at the next start of the module");
      }
      p.config(next);
      log(
          true,
          "config applied: max_connections="
              + next.maxConnections()
              + " max_channels="
              + next.maxChannels()
              + " share_zero_bits="
              + next.shareZeroBits());
    } catch (StratumConfig.InvalidConfigException e) {
      log(false, "config refused, keeping the last good one: " + e.getMessage());
    }
  }

  private void log(boolean info, String line) {
    ModuleClient c = client;
    if (c != null) {
      c.log(info ? Message.LogLevel.INFO : Message.LogLevel.WARN, line);
    }
  }
}
