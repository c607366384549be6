package org.blvm.modules.governance;

import static org.junit.jupiter.api.Assertions.assertFalse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.blvm.protocol.Api;
import org.blvm.protocol.Capability;
import org.blvm.protocol.ErrorCode;
import org.blvm.protocol.ErrorValue;
import org.blvm.protocol.EventPayloads;
import org.blvm.protocol.EventType;
import org.blvm.protocol.Message;
import org.blvm.protocol.NodeMethod;
import org.blvm.testsupport.FakeNode;
import org.blvm.testsupport.Poll;
import org.newsclub.net.unix.AFUNIXSocketChannel;
import org.newsclub.net.unix.AFUNIXSocketPair;

/**
 * One run of the whole module in the test's JVM against a scripted node ({@link FakeNode}) with
 * every capability of the manifest: the test sends events and config reloads, and reads the log
 * lines and the {@code publish_event} requests the module sends back. {@code net_connect} is either
 * refused, or answered the broker's way: with a descriptor, one end of a socket pair whose other
 * end the test joins to a real TCP connection to the host and port asked for.
 */
final class ModuleRun implements AutoCloseable {
  static final String ID = "blvm-governance";
  static final Duration WAIT = Duration.ofSeconds(20);
  static final String SECRET = "0123456789abcdef0123";
  static final String TIP_HASH = "ab".repeat(32);

  final FakeNode node;
  final List<String> logs = new CopyOnWriteArrayList<>();
  final List<JsonNode> published = new CopyOnWriteArrayList<>();
  final List<String> connects = new CopyOnWriteArrayList<>();
  private final AtomicInteger exit = new AtomicInteger(-1);
  private final AtomicLong seq = new AtomicLong(1);
  private final List<AutoCloseable> opened = new CopyOnWriteArrayList<>();
  private final Thread thread;
  private boolean stopped;

  /** Starts the module; it need not get as far as running (see {@link #stop}). */
  ModuleRun(Path home, String name, String ownConfig, Clock clock, boolean connectForReal)
      throws Exception {
    Path data = Files.createDirectories(home.resolve("data"));
    node = FakeNode.start(Files.createDirectories(home.resolve(name)));
    node.welcomeAs(
            ID,
            List.of(
                Capability.SUBSCRIBE_EVENTS,
                Capability.READ_BLOCKCHAIN,
                Capability.READ_NETWORK,
                Capability.READ_CONFIG,
                Capability.NETWORK_CONNECT,
                Capability.PUBLISH_EVENTS),
            data.toString())
        .welcomeConfig(new ObjectMapper().readTree(ownConfig))
        .respondWith(r -> answer(r, connectForReal));
    thread = node.runModule("governance-under-test-" + name, new Governance(clock)::run, exit::set);
    Thread collector = new Thread(this::collect, "governance-log-collector-" + name);
    collector.setDaemon(true);
    collector.start();
  }

  /** A run that got as far as delivering. */
  static ModuleRun start(
      Path home, String name, String ownConfig, Clock clock, boolean connectForReal)
      throws Exception {
    ModuleRun r = new ModuleRun(home, name, ownConfig, clock, connectForReal);
    r.awaitLog("running:");
    return r;
  }

  private void collect() {
    try {
      while (true) {
        Message m = node.inbox().take();
        if (m instanceof Message.Log l) {
          logs.add(l.level() + " " + l.message());
        } else if (m instanceof Message.Request r
            && r.method().equals(NodeMethod.PUBLISH_EVENT.wireName())) {
          published.add(r.params());
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private Message answer(Message.Request r, boolean connectForReal) {
    String m = r.method();
    if (m.equals(NodeMethod.PUBLISH_EVENT.wireName())) {
      return Message.Response.ok(r.id(), FakeNode.JSON.objectNode().put("delivered", 0));
    }
    if (m.equals(NodeMethod.GET_CHAIN_TIP.wireName())) {
      return Message.Response.ok(r.id(), FakeNode.CODEC.toTree(new Api.ChainTip(TIP_HASH, 42)));
    }
    if (m.equals(NodeMethod.GET_NETWORK_STATS.wireName())) {
      return Message.Response.ok(
          r.id(), FakeNode.CODEC.toTree(new Api.NetworkStats(3, 1, 2, 1000, 2000)));
    }
    if (!m.equals(NodeMethod.NET_CONNECT.wireName())) {
      return null;
    }
    String host = r.params().path("host").asText();
    int port = r.params().path("port").asInt();
    connects.add(host + ":" + port);
    if (!connectForReal) {
      return Message.Response.error(
          r.id(), ErrorValue.of(ErrorCode.UNAVAILABLE, "refused by the test"));
    }
    try {
      SocketChannel tcp = SocketChannel.open(new InetSocketAddress(host, port));
      AFUNIXSocketPair<AFUNIXSocketChannel> pair = AFUNIXSocketPair.open();
      AFUNIXSocketChannel joined = pair.getSocket2();
      joined.configureBlocking(true);
      opened.add(tcp);
      opened.add(joined);
      pump(joined, tcp, "to-receiver");
      pump(tcp, joined, "from-receiver");
      // the test's copy stays open until the end: closing it would shut the connection down
      opened.add(pair.getSocket1());
      node.sendWithDescriptors(
          Message.Response.ok(
              r.id(), FakeNode.CODEC.toTree(new Api.NetConnected(host, port, host + ":" + port))),
          pair.getSocket1().socket().getFileDescriptor());
      return null;
    } catch (IOException e) {
      return Message.Response.error(r.id(), ErrorValue.of(ErrorCode.UNAVAILABLE, e.toString()));
    }
  }

  /** Copies {@code from} to {@code to} until the end, then ends {@code to}'s output. */
  private static void pump(SocketChannel from, SocketChannel to, String role) {
    Thread t =
        new Thread(
            () -> {
              ByteBuffer b = ByteBuffer.allocate(8192);
              try {
                while (from.read(b) != -1) {
                  b.flip();
                  while (b.hasRemaining()) {
                    to.write(b);
                  }
                  b.clear();
                }
                to.shutdownOutput();
              } catch (IOException e) {
                closeQuietly(from);
                closeQuietly(to);
              }
            },
            "governance-test-pump-" + role);
    t.setDaemon(true);
    t.start();
  }

  private static void closeQuietly(SocketChannel s) {
    try {
      s.close();
    } catch (IOException e) {
      // the other side of the pump reports nothing either
    }
  }

  /** A {@code [governance]} section. */
  static String governance(String url, String nodeId) {
    return "{\"webhook_url\":\""
        + url
        + "\",\"node_id\":\""
        + nodeId
        + "\",\"webhook_secret\":\""
        + SECRET
        + "\"}";
  }

  /** A reload: the node config's {@code [governance]} and the module's own section. */
  void configLoaded(String governance, String ownConfig) throws Exception {
    configLoadedJson(
        "{\"governance\":" + governance + ",\"modules\":{\"" + ID + "\":" + ownConfig + "}}");
  }

  /** A reload whose visible config is {@code json}, whatever it holds. */
  void configLoadedJson(String json) throws Exception {
    node.send(
        new Message.Event(
            seq.getAndIncrement(),
            EventType.ConfigLoaded.wireName(),
            null,
            FakeNode.CODEC.toTree(
                new EventPayloads.ConfigLoaded(List.of("governance", "modules." + ID), json))));
  }

  void governanceEvent(String nodeId, String name) throws Exception {
    event(EventType.EconomicNodeRegistered, new EventPayloads.EconomicNodeRegistered(nodeId, name));
  }

  /** Any event, its payload one of {@link EventPayloads}. */
  void event(EventType type, Object payload) throws Exception {
    node.send(
        new Message.Event(
            seq.getAndIncrement(), type.wireName(), null, FakeNode.CODEC.toTree(payload)));
  }

  void newBlock(long height) throws Exception {
    node.send(
        new Message.Event(
            seq.getAndIncrement(),
            EventType.NewBlock.wireName(),
            null,
            FakeNode.CODEC.toTree(
                new EventPayloads.NewBlock(TIP_HASH, height, "cd".repeat(32), 1_700_000_000L, 1))));
  }

  /**
   * Waits until the module has handled every event sent before: the events are handled in order,
   * and an {@code EventsDropped} is answered with a log line.
   */
  void settle() throws Exception {
    long n = seq.getAndIncrement();
    node.send(
        new Message.Event(
            n,
            EventType.EventsDropped.wireName(),
            null,
            FakeNode.CODEC.toTree(new EventPayloads.EventsDropped(n, 1, 1))));
    awaitLog(n + " events dropped");
  }

  String awaitLog(String part) throws InterruptedException {
    Poll.until(
        () -> logs.stream().anyMatch(l -> l.contains(part)), WAIT, "a log line with " + part);
    return logs.stream().filter(l -> l.contains(part)).findFirst().orElseThrow();
  }

  long count(String part) {
    return logs.stream().filter(l -> l.contains(part)).count();
  }

  /** The payloads published on {@code topic}, in order. */
  List<JsonNode> publishedOn(String topic) {
    return published.stream()
        .filter(p -> p.path("type").asText().equals(topic))
        .map(p -> p.path("payload"))
        .toList();
  }

  /** Waits for the module to end by itself (it never got as far as running). */
  int awaitExit() throws InterruptedException {
    thread.join(WAIT.toMillis());
    assertFalse(thread.isAlive(), "the module did not end");
    return exit.get();
  }

  /** Drops the node's connection: the module stops; returns its exit status. */
  int stop() throws Exception {
    if (stopped) {
      return exit.get();
    }
    stopped = true;
    node.close();
    int status = awaitExit();
    for (AutoCloseable c : opened) {
      c.close();
    }
    return status;
  }

  @Override
  public void close() throws Exception {
    stop();
  }
}
