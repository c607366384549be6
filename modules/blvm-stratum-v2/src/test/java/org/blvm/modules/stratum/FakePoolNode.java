package org.blvm.modules.stratum;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.lang.reflect.Proxy;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.blvm.protocol.Api;
import org.blvm.protocol.Message;
import org.blvm.sdk.ModuleClient;
import org.blvm.sdk.NodeApi;
import org.blvm.sdk.NodeApiException;
import org.blvm.testsupport.Poll;

/**
 * A {@link Pool} over a node faked behind the SDK's {@link ModuleClient} and {@link NodeApi}
 * interfaces, listening on a real loopback socket for {@link TestMiner}s. The node's template,
 * {@code submit_block} answer and chain tip are the test's to set; what the pool logs, publishes
 * and submits is recorded.
 */
final class FakePoolNode implements AutoCloseable {
  static final Duration WAIT = Duration.ofSeconds(10);

  /** A template like the genesis block's whose network target is {@code 2^255 − 1}. */
  static Api.BlockTemplate easyTemplate(String prevHash, long height) {
    Api.BlockTemplate t = ShareValidationTest.genesisTemplate(List.of(), List.of());
    return new Api.BlockTemplate(
        prevHash,
        height,
        0x207fffffL,
        t.coinbaseValue(),
        t.txids(),
        t.version(),
        t.time(),
        t.minTime(),
        "7f" + "ff".repeat(31),
        t.coinbasePrefix(),
        t.coinbaseSuffix(),
        t.extranonceSize(),
        t.merklePath(),
        t.transactions());
  }

  record Published(String type, JsonNode payload) {}

  final List<String> logs = new CopyOnWriteArrayList<>();
  final List<Published> published = new CopyOnWriteArrayList<>();
  final List<String> submitted = new CopyOnWriteArrayList<>();
  final List<String> apiCalls = new CopyOnWriteArrayList<>();
  volatile Api.BlockTemplate template = ShareValidationTest.genesisTemplate(List.of(), List.of());
  volatile Api.MiningInfo miningInfo = new Api.MiningInfo(0, 0x1d00ffffL, 1.5, 7.25, 0);

  /** The node's answer to {@code submit_block}. */
  interface SubmitAnswer {
    Api.SubmitBlockResult apply(String blockHex) throws NodeApiException;
  }

  volatile SubmitAnswer submitBlock = hex -> new Api.SubmitBlockResult(true, null);
  volatile Api.ChainTip tip = new Api.ChainTip("ab".repeat(32), 1);

  private final Path dataDir;
  private final StratumConfig config;
  private final ModuleClient client;
  private final List<TestMiner> miners = new ArrayList<>();
  private final ServerSocketChannel server;
  private StateStore state;
  private Pool pool;

  /** A pool with {@code config} whose state file lives in {@code dataDir}. */
  FakePoolNode(Path dataDir, StratumConfig config) throws IOException {
    this.dataDir = dataDir;
    this.config = config;
    this.client = client();
    this.server = ServerSocketChannel.open();
    server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    startPool();
  }

  private void startPool() {
    state = new StateStore(dataDir, logs::add);
    pool = new Pool(client, config, state, new SecureRandom());
  }

  Pool pool() {
    return pool;
  }

  /**
   * The module stopped and started again on the same data directory: every miner's connection is
   * closed, the counters stored, and a new pool reads them back.
   */
  void restart() throws InterruptedException {
    pool.close();
    state.close();
    startPool();
  }

  /** A miner connected to the pool (not yet set up), closed with this node. */
  TestMiner connect() throws IOException {
    TestMiner m = new TestMiner(server.getLocalAddress());
    miners.add(m);
    pool.accept(server.accept());
    return m;
  }

  /** A miner connected, set up and with one channel open on the current job. */
  TestMiner miner(String user) throws Exception {
    TestMiner m = connect();
    m.setUp();
    m.open(1, user, TestMiner.ANY_TARGET);
    return m;
  }

  /** Waits for a log line containing {@code part}, returned whole. */
  String awaitLog(String part) throws InterruptedException {
    Poll.until(
        () -> logs.stream().anyMatch(l -> l.contains(part)), WAIT, "a log line with " + part);
    return logs.stream().filter(l -> l.contains(part)).findFirst().orElseThrow();
  }

  /** The payloads published on {@code type}, in order. */
  List<JsonNode> published(String type) {
    return published.stream().filter(p -> p.type().equals(type)).map(Published::payload).toList();
  }

  @Override
  public void close() throws Exception {
    for (TestMiner m : miners) {
      m.close();
    }
    pool.close();
    server.close();
    state.close();
  }

  private ModuleClient client() {
    NodeApi api =
        (NodeApi)
            Proxy.newProxyInstance(
                NodeApi.class.getClassLoader(),
                new Class<?>[] {NodeApi.class},
                (proxy, m, args) -> {
                  apiCalls.add(m.getName());
                  return switch (m.getName()) {
                    case "getBlockTemplate" -> template;
                    case "getMiningInfo" -> miningInfo;
                    case "getChainTip" -> tip;
                    case "submitBlock" -> {
                      submitted.add((String) args[0]);
                      yield submitBlock.apply((String) args[0]);
                    }
                    case "publishEvent" -> {
                      published.add(new Published((String) args[0], (JsonNode) args[1]));
                      yield 1;
                    }
                    default -> throw new UnsupportedOperationException(m.getName());
                  };
                });
    return (ModuleClient)
        Proxy.newProxyInstance(
            ModuleClient.class.getClassLoader(),
            new Class<?>[] {ModuleClient.class},
            (proxy, m, args) ->
                switch (m.getName()) {
                  case "api" -> api;
                  case "log" -> {
                    logs.add(((Message.LogLevel) args[0]) + " " + args[1]);
                    yield null;
                  }
                  default -> throw new UnsupportedOperationException(m.getName());
                });
  }

  /** {@code (2^256 − 1) / target}: the difficulty of one share on a channel with this target. */
  static long shareDifficulty(BigInteger target) {
    return BigInteger.ONE.shiftLeft(256).subtract(BigInteger.ONE).divide(target).longValueExact();
  }
}
