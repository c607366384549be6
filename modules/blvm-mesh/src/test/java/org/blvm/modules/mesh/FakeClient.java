package org.blvm.modules.mesh;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.blvm.protocol.Api;
import org.blvm.protocol.ErrorCode;
import org.blvm.protocol.ErrorValue;
import org.blvm.protocol.Message;
import org.blvm.protocol.ModuleContext;
import org.blvm.protocol.NodeMethod;
import org.blvm.sdk.ModuleClient;
import org.blvm.sdk.NodeApi;
import org.blvm.sdk.NodeApiException;

/**
 * The node as {@link Mesh} sees it, without a node: records what the module logs, publishes and
 * calls; {@code net_listen} binds a real loopback socket (whatever the address asked for) and
 * {@code net_connect} connects to a real loopback port, so links run over real sockets.
 */
final class FakeClient implements ModuleClient {
  private static final ObjectMapper JSON = new ObjectMapper();

  record Log(Message.LogLevel level, String message) {}

  /** A published event, with the thread that published it. */
  record Published(String type, JsonNode payload, String thread) {}

  /** A module call, with the thread that made it. */
  record Call(String target, String method, JsonNode params, String thread) {}

  final List<Log> logs = new CopyOnWriteArrayList<>();
  final List<Published> published = new CopyOnWriteArrayList<>();
  final List<Call> calls = new CopyOnWriteArrayList<>();
  final List<ServerSocketChannel> listening = new CopyOnWriteArrayList<>();
  volatile Api.NetworkStats stats = new Api.NetworkStats(0, 0, 0, 0, 0);
  volatile List<Api.PeerInfo> peers = List.of();

  /** While set, each module call waits for it to open (after being recorded). */
  volatile CountDownLatch callGate;

  private final ModuleContext context;
  private final CountDownLatch closed = new CountDownLatch(1);
  private final NodeApi api = new FakeApi();

  /** A client whose config is {@code configJson} and whose data directory is {@code dataDir}. */
  FakeClient(String configJson, Path dataDir) throws IOException {
    this.context =
        new ModuleContext(
            "blvm-mesh", JSON.readTree(configJson), dataDir.toString(), "unused", List.of());
  }

  static JsonNode json(String text) throws IOException {
    return JSON.readTree(text);
  }

  /** The port {@code net_listen} bound, once the module listens. */
  int listenPort() throws IOException {
    return ((InetSocketAddress) listening.get(0).getLocalAddress()).getPort();
  }

  /** Whether a log line at {@code level} contains {@code text}. */
  boolean logged(Message.LogLevel level, String text) {
    return logs.stream().anyMatch(l -> l.level() == level && l.message().contains(text));
  }

  /** The payloads of the {@code mesh.route_changed} events published so far, in order. */
  List<String> routeChanges() {
    return published.stream()
        .filter(p -> p.type().equals(Mesh.ROUTE_CHANGED))
        .map(p -> p.payload().toString())
        .toList();
  }

  @Override
  public ModuleContext context() {
    return context;
  }

  @Override
  public JsonNode config() {
    return context.config();
  }

  @Override
  public NodeApi api() {
    return api;
  }

  @Override
  public void log(Message.LogLevel level, String message) {
    logs.add(new Log(level, message));
  }

  @Override
  public boolean isOpen() {
    return closed.getCount() > 0;
  }

  @Override
  public boolean awaitShutdown(Duration timeout) throws InterruptedException {
    return closed.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  @Override
  public void awaitShutdown() throws InterruptedException {
    closed.await();
  }

  @Override
  public Optional<ErrorValue> closeReason() {
    return Optional.empty();
  }

  @Override
  public void close() {
    closed.countDown();
    for (ServerSocketChannel s : listening) {
      try {
        s.close();
      } catch (IOException e) {
        // closing: nothing more to do with it
      }
    }
  }

  private static UnsupportedOperationException notHere() {
    return new UnsupportedOperationException("blvm-mesh does not call this");
  }

  /** The NodeAPI methods blvm-mesh uses; the others fail the test. */
  private final class FakeApi implements NodeApi {
    @Override
    public Api.NetworkStats getNetworkStats() {
      return stats;
    }

    @Override
    public List<Api.PeerInfo> getNetworkPeers() {
      return peers;
    }

    @Override
    public int publishEvent(String type, JsonNode payload) {
      published.add(new Published(type, payload, Thread.currentThread().getName()));
      return 1;
    }

    @Override
    public JsonNode callModule(String target, String method, JsonNode params) {
      calls.add(new Call(target, method, params, Thread.currentThread().getName()));
      CountDownLatch gate = callGate;
      if (gate != null) {
        try {
          gate.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      return JSON.createObjectNode();
    }

    @Override
    public Socket connect(String host, int port) throws NodeApiException {
      try {
        return new Socket(InetAddress.getLoopbackAddress(), port);
      } catch (IOException e) {
        throw new NodeApiException(
            "net_connect", ErrorValue.of(ErrorCode.UNAVAILABLE, e.getMessage()));
      }
    }

    @Override
    public ServerSocketChannel listen(String address) throws NodeApiException {
      try {
        ServerSocketChannel s = ServerSocketChannel.open();
        s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        listening.add(s);
        return s;
      } catch (IOException e) {
        throw new NodeApiException(
            "net_listen", ErrorValue.of(ErrorCode.UNAVAILABLE, e.getMessage()));
      }
    }

    @Override
    public Api.Block getBlock(String hash) {
      throw notHere();
    }

    @Override
    public Api.BlockHeader getBlockHeader(String hash) {
      throw notHere();
    }

    @Override
    public Api.Block getBlockByHeight(long height) {
      throw notHere();
    }

    @Override
    public String getBlockHash(long height) {
      throw notHere();
    }

    @Override
    public Api.ChainTip getChainTip() {
      throw notHere();
    }

    @Override
    public long getBlockHeight() {
      throw notHere();
    }

    @Override
    public Api.Transaction getTransaction(String txid) {
      throw notHere();
    }

    @Override
    public Api.Utxo getUtxo(String txid, int vout) {
      throw notHere();
    }

    @Override
    public List<Api.MempoolEntry> getMempoolTransactions() {
      throw notHere();
    }

    @Override
    public Api.MempoolEntry getMempoolTransaction(String txid) {
      throw notHere();
    }

    @Override
    public Api.MempoolSize getMempoolSize() {
      throw notHere();
    }

    @Override
    public Api.FeeEstimate getFeeEstimate(int targetBlocks) {
      throw notHere();
    }

    @Override
    public Api.SendTransactionResult sendTransaction(String rawHex) {
      throw notHere();
    }

    @Override
    public Api.BlockTemplate getBlockTemplate() {
      throw notHere();
    }

    @Override
    public Api.SubmitBlockResult submitBlock(String blockHex) {
      throw notHere();
    }

    @Override
    public Api.MiningInfo getMiningInfo() {
      throw notHere();
    }

    @Override
    public List<Api.ModuleInfo> discoverModules() {
      throw notHere();
    }

    @Override
    public void reportMetric(String name, double value, Map<String, String> labels) {
      throw notHere();
    }

    @Override
    public JsonNode call(NodeMethod method, Object params) {
      throw notHere();
    }
  }
}
