package org.blvm.loader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.function.Consumer;
import org.blvm.protocol.Api;
import org.blvm.protocol.Capability;
import org.blvm.protocol.ErrorCode;
import org.blvm.protocol.EventPayloads;
import org.blvm.protocol.EventType;
import org.blvm.protocol.Message;
import org.blvm.testsupport.Poll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.newsclub.net.unix.FileDescriptorCast;

/**
 * net_connect and net_listen through a real loader, real TCP sockets and real descriptor passing:
 * the test JVM plays the module over its Unix socket (the in-process launcher). Names are resolved
 * by an injected resolver, so a name can be made to resolve to loopback, private or metadata
 * addresses.
 */
class NetworkBrokerTest {
  private static final String CAPS =
      "\"network_connect\", \"network_listen\", \"read_blockchain\", \"subscribe_events\"";

  @TempDir Path tmp;

  private ServerSocket server;
  private final CountDownLatch releaseSlowResolver = new CountDownLatch(1);
  private final java.util.concurrent.atomic.AtomicInteger resolutionsHanging =
      new java.util.concurrent.atomic.AtomicInteger();
  private final List<AutoCloseable> toClose = new ArrayList<>();

  @BeforeEach
  void listen() throws IOException {
    server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
  }

  @AfterEach
  void cleanUp() throws Exception {
    releaseSlowResolver.countDown();
    for (AutoCloseable c : toClose) {
      c.close();
    }
    server.close();
  }

  /** Names the tests resolve: loopback, metadata, private behind mapped IPv6, failing, hanging. */
  private List<InetAddress> resolve(String host) throws UnknownHostException {
    switch (host) {
      case "api.test":
        return List.of(InetAddress.getByName("127.0.0.1"));
      case "meta.test":
        return List.of(InetAddress.getByName("169.254.169.254"));
      case "mapped.test":
        return List.of(java.net.Inet6Address.getByAddress(null, mapped(10, 0, 0, 1), -1));
      case "never.test":
        // a resolution that never returns by itself: only an interrupt ends it
        resolutionsHanging.incrementAndGet();
        try {
          new CountDownLatch(1).await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        } finally {
          resolutionsHanging.decrementAndGet();
        }
        throw new UnknownHostException(host);
      case "slow.test":
        try {
          releaseSlowResolver.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        throw new UnknownHostException(host);
      default:
        throw new UnknownHostException(host);
    }
  }

  private static byte[] mapped(int a, int b, int c, int d) {
    byte[] m = new byte[16];
    m[10] = (byte) 0xff;
    m[11] = (byte) 0xff;
    m[12] = (byte) a;
    m[13] = (byte) b;
    m[14] = (byte) c;
    m[15] = (byte) d;
    return m;
  }

  private LoaderFixture start(String network, Consumer<ModuleManager.Builder> custom)
      throws IOException {
    LoaderFixture fx =
        new LoaderFixture(tmp)
            .policy(
                "[defaults]\ncapabilities = ["
                    + CAPS
                    + "]\n[modules.net.network]\n"
                    + network
                    + "\n")
            .module("net", CAPS, "")
            .start(
                b -> {
                  b.networkResolver(this::resolve);
                  custom.accept(b);
                });
    toClose.add(fx);
    return fx;
  }

  private RawClient client(LoaderFixture fx) throws Exception {
    RawClient c = fx.handshake("net").acceptingDescriptors();
    toClose.add(c);
    return c;
  }

  private static Message.Request connect(long id, String host, int port, RawClient c) {
    return LoaderFixture.request(id, "net_connect", new Api.NetConnectParams(host, port), c);
  }

  private List<JsonNode> audit(String methodPrefix) throws Exception {
    ObjectMapper json = new ObjectMapper();
    List<JsonNode> lines = new ArrayList<>();
    Path file = tmp.resolve("run/audit.jsonl");
    for (String l : Files.exists(file) ? Files.readAllLines(file) : List.<String>of()) {
      JsonNode n = json.readTree(l);
      if (n.path("method").asText().startsWith(methodPrefix)) {
        lines.add(n);
      }
    }
    return lines;
  }

  private JsonNode awaitAudit(String methodPrefix, String decision) throws Exception {
    JsonNode[] found = new JsonNode[1];
    Poll.until(
        () -> {
          try {
            for (JsonNode n : audit(methodPrefix)) {
              if (n.path("decision").asText().equals(decision)) {
                found[0] = n;
              }
            }
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
          return found[0] != null;
        },
        Duration.ofSeconds(5),
        "audit line " + methodPrefix + " " + decision);
    return found[0];
  }

  /**
   * The received descriptor as a socket whose close also closes the descriptor (a socket made by
   * FileDescriptorCast only shuts the connection down when it is closed).
   */
  static Socket socketOf(FileDescriptor fd) throws IOException {
    Socket s = FileDescriptorCast.using(fd).as(Socket.class);
    ((org.newsclub.net.unix.AFSocket<?>) s).addCloseable(() -> new FileInputStream(fd).close());
    return s;
  }

  @Test
  void connect_literalRule_handsOverTheConnectedSocketWithTheFramesFirstByte() throws Exception {
    int port = server.getLocalPort();
    LoaderFixture fx = start("connect = [\"127.0.0.1:" + port + "\"]", b -> {});
    RawClient c = client(fx);

    c.send(connect(1, "127.0.0.1", port, c));
    RawClient.RawFrame f = c.readRawFrame();

    Message.Response r = (Message.Response) f.message();
    assertNull(r.error(), "" + r.error());
    Api.NetConnected result = c.codec.toValue(r.result(), Api.NetConnected.class);
    assertEquals(new Api.NetConnected("127.0.0.1", port, "127.0.0.1:" + port), result);
    assertEquals(1, f.descriptors().length, "exactly one descriptor");
    assertEquals(0, f.descriptorAt(), "it comes with the read of the frame's first byte");
    try (Socket s = socketOf(f.descriptors()[0]);
        Socket peer = server.accept()) {
      s.getOutputStream().write("ping\n".getBytes(StandardCharsets.US_ASCII));
      assertEquals("ping", line(peer));
      peer.getOutputStream().write("pong\n".getBytes(StandardCharsets.US_ASCII));
      assertEquals("pong", line(s));
    }
    JsonNode a = awaitAudit("net_connect:127.0.0.1:" + port, "allowed");
    assertEquals("127.0.0.1", a.get("address").asText());
    assertEquals("127.0.0.1:" + port, a.get("rule").asText());
    assertEquals(Capability.NETWORK_CONNECT.wireName(), a.get("capability").asText());
  }

  private static String line(Socket s) throws IOException {
    return new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII))
        .readLine();
  }

  @Test
  void connect_namesResolvingToLoopbackMetadataOrMappedPrivate_refusedNamingTheLiteralRule()
      throws Exception {
    int port = server.getLocalPort();
    LoaderFixture fx =
        start(
            "connect = [\"api.test:" + port + "\", \"meta.test:80\", \"mapped.test:80\"]", b -> {});
    RawClient c = client(fx);

    Message.Response r = ask(c, connect(1, "api.test", port, c));
    assertEquals(ErrorCode.NOT_CAPABLE, r.error().code());
    assertEquals(Capability.NETWORK_CONNECT, r.error().capability());
    String m = r.error().message();
    assertTrue(m.contains("127.0.0.1, loopback (127.0.0.0/8)"), m);
    assertTrue(m.contains("\"127.0.0.1:" + port + "\" in [modules.net.network] connect"), m);

    String meta = ask(c, connect(2, "meta.test", 80, c)).error().message();
    assertTrue(meta.contains("cloud metadata (169.254.169.254)"), meta);
    String mapped = ask(c, connect(3, "mapped.test", 80, c)).error().message();
    assertTrue(mapped.contains("IPv4-mapped address of 10.0.0.1, private (10.0.0.0/8)"), mapped);

    assertEquals(0, c.descriptors().length);
    server.setSoTimeout(200);
    assertThrows(SocketTimeoutException.class, () -> server.accept(), "nothing connected");
    JsonNode a = awaitAudit("net_connect:api.test:" + port, "denied");
    assertEquals("127.0.0.1", a.get("addresses").asText());
    assertTrue(a.get("reason").asText().contains("loopback"), a.toString());
    assertEquals(3, fx.manager.deniedCalls("net"));
  }

  private static Message.Response ask(RawClient c, Message.Request r) throws Exception {
    c.send(r);
    Message.Response answer = c.expect(Message.Response.class);
    assertEquals(r.id(), answer.id());
    return answer;
  }

  @Test
  void connect_withoutAMatchingRule_notCapableNamingTheRuleToAdd() throws Exception {
    LoaderFixture fx = start("connect = [\"*.example.net:443\"]", b -> {});
    RawClient c = client(fx);

    Message.Response r = ask(c, connect(1, "example.net", 443, c));
    assertEquals(ErrorCode.NOT_CAPABLE, r.error().code());
    assertEquals(Capability.NETWORK_CONNECT, r.error().capability());
    assertTrue(
        r.error().message().contains("add \"example.net:443\" to [modules.net.network] connect"),
        r.error().message());
    Message.Response v6 = ask(c, connect(2, "2001:db8::1", 443, c));
    assertTrue(v6.error().message().contains("add \"[2001:db8::1]:443\""), v6.error().message());
    JsonNode a = awaitAudit("net_connect:example.net:443", "denied");
    assertEquals("no connect rule", a.get("reason").asText());
  }

  @Test
  void connect_unknownName_notFound_andAHangingResolverTimesOutWhileOtherRequestsAreAnswered()
      throws Exception {
    LoaderFixture fx =
        start(
            "connect = [\"gone.test:80\", \"slow.test:80\"]",
            b -> b.networkTimeouts(Duration.ofMillis(300), Duration.ofSeconds(2)));
    RawClient c = client(fx);

    Message.Response gone = ask(c, connect(1, "gone.test", 80, c));
    assertEquals(ErrorCode.NOT_FOUND, gone.error().code());
    assertEquals("cannot resolve gone.test: no such host", gone.error().message());

    long start = System.nanoTime();
    c.send(connect(2, "slow.test", 80, c));
    c.send(LoaderFixture.request(3, "get_chain_tip", null, c));
    Message.Response first = c.expect(Message.Response.class);
    assertEquals(3, first.id(), "the reader is not held up by the hanging resolution");
    Message.Response slow = c.expect(Message.Response.class);
    assertEquals(2, slow.id());
    assertEquals(ErrorCode.TIMEOUT, slow.error().code());
    assertEquals("resolving slow.test took longer than 300 ms", slow.error().message());
    assertTrue(Duration.ofNanos(System.nanoTime() - start).toMillis() < 5000);
    awaitAudit("net_connect:slow.test:80", "failed");
  }

  @Test
  void connect_resolverNeverReturns_timeoutAtTheDefaultFiveSeconds_audited() throws Exception {
    LoaderFixture fx = start("connect = [\"never.test:80\"]", b -> {});
    RawClient c = client(fx);

    long start = System.nanoTime();
    Message.Response r = ask(c, connect(1, "never.test", 80, c));
    long tookMs = Duration.ofNanos(System.nanoTime() - start).toMillis();
    assertEquals(ErrorCode.TIMEOUT, r.error().code());
    assertEquals("resolving never.test took longer than 5000 ms", r.error().message());
    assertTrue(tookMs >= 5000 && tookMs < 15_000, "answered after " + tookMs + " ms");
    JsonNode a = awaitAudit("net_connect:never.test:80", "failed");
    assertEquals("resolution timed out", a.get("reason").asText());
    assertEquals("never.test:80", a.get("rule").asText());
  }

  @Test
  void connect_moreHangingResolutionsThanResolverThreads_eachTimesOut_threadsComeBack()
      throws Exception {
    LoaderFixture fx =
        start(
            "connect = [\"never.test:80\", \"api.test:80\"]\nconnects_per_second = 100",
            b -> b.networkTimeouts(Duration.ofMillis(200), Duration.ofSeconds(2)));
    RawClient c = client(fx);
    int hanging = 10; // more than the broker's resolver threads
    for (int i = 1; i <= hanging; i++) {
      c.send(connect(i, "never.test", 80, c));
    }
    for (int i = 1; i <= hanging; i++) {
      Message.Response r = c.expect(Message.Response.class);
      assertEquals(ErrorCode.TIMEOUT, r.error().code(), "" + r.error());
    }
    // every timed-out resolution was interrupted (or never started): no thread is held by one
    Poll.until(
        () -> resolutionsHanging.get() == 0,
        Duration.ofSeconds(5),
        "resolutions still hanging " + resolutionsHanging);
    // so a name that resolves is still resolved (to loopback here, refused as such)
    Message.Response after = ask(c, connect(hanging + 1, "api.test", 80, c));
    assertEquals(ErrorCode.NOT_CAPABLE, after.error().code(), "" + after.error());
    assertTrue(after.error().message().contains("loopback"), after.error().message());
    Poll.until(
        () -> {
          try {
            return audit("net_connect:never.test:80").stream()
                    .filter(n -> n.path("reason").asText().equals("resolution timed out"))
                    .count()
                == hanging;
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        },
        Duration.ofSeconds(5),
        "an audit line for every timed-out resolution");
  }

  @Test
  void connect_closedPort_unavailableNamingTheError() throws Exception {
    int closed;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closed = s.getLocalPort();
    }
    LoaderFixture fx = start("connect = [\"127.0.0.1:" + closed + "\"]", b -> {});
    RawClient c = client(fx);

    Message.Response r = ask(c, connect(1, "127.0.0.1", closed, c));
    assertEquals(ErrorCode.UNAVAILABLE, r.error().code());
    assertEquals(
        "connecting to 127.0.0.1:" + closed + " failed: connection refused (ECONNREFUSED)",
        r.error().message());
    assertEquals(0, c.descriptors().length);
    JsonNode a = awaitAudit("net_connect:127.0.0.1:" + closed, "failed");
    assertEquals("127.0.0.1", a.get("address").asText());
  }

  @Test
  void limits_connectsPerSecondAndMaxSockets_aClosedConnectionMakesRoom() throws Exception {
    int port = server.getLocalPort();
    FakeTicker ticker = new FakeTicker();
    LoaderFixture fx =
        start(
            "connect = [\"127.0.0.1:" + port + "\"]\nmax_sockets = 2\nconnects_per_second = 3",
            b -> b.ticker(ticker));
    RawClient c = client(fx);

    Socket first = received(c, 1, port);
    Socket second = received(c, 2, port);
    Message.Response third = ask(c, connect(3, "127.0.0.1", port, c));
    assertEquals(ErrorCode.RATE_LIMITED, third.error().code());
    assertTrue(third.error().message().contains("max_sockets"), third.error().message());

    first.close();
    Message.Response fourth = ask(c, connect(4, "127.0.0.1", port, c));
    assertEquals(ErrorCode.RATE_LIMITED, fourth.error().code(), "three tokens were taken");
    assertTrue(fourth.error().message().contains("connects_per_second of 3"));

    ticker.advance(Duration.ofSeconds(1));
    Socket fifth = received(c, 5, port); // the closed connection no longer counts
    second.close();
    fifth.close();
    awaitAudit("net_connect:127.0.0.1:" + port, "rate_limited");
  }

  @Test
  void tenThousandConnects_loaderDescriptorsBackAtTheBaseline() throws Exception {
    int port = server.getLocalPort();
    FakeTicker ticker = new FakeTicker();
    LoaderFixture fx =
        start(
            "connect = [\"127.0.0.1:"
                + port
                + "\"]\nmax_sockets = 4096\nconnects_per_second = 10000\n"
                + "[defaults.rate_limit]\nrequests_per_second = 0",
            b -> b.ticker(ticker));
    RawClient c = client(fx);
    // warm up: the broker's threads, the audit file, the first socket table read
    for (int i = 1; i <= 50; i++) {
      connectAndClose(c, i, port);
    }
    long baseline = openDescriptors();
    for (int i = 51; i <= 10_000; i++) {
      if (i % 5_000 == 0) {
        ticker.advance(Duration.ofSeconds(1));
      }
      connectAndClose(c, i, port);
    }
    // the module closed each socket it was handed; the loader must hold none of them
    Poll.until(
        () -> openDescriptors() <= baseline + 8,
        Duration.ofSeconds(10),
        "descriptors back at the baseline " + baseline);
  }

  private void connectAndClose(RawClient c, long id, int port) throws Exception {
    Message.Response r = ask(c, connect(id, "127.0.0.1", port, c));
    assertNull(r.error(), "" + r.error());
    FileDescriptor[] fds = c.descriptors();
    assertEquals(1, fds.length);
    new FileInputStream(fds[0]).close();
    server.accept().close();
  }

  /** The test JVM's (the loader's) open descriptors. */
  private static long openDescriptors() {
    try (var s = Files.list(Path.of("/proc/self/fd"))) {
      return s.count();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Connects through the broker and returns the socket it hands over. */
  private Socket received(RawClient c, long id, int port) throws Exception {
    Message.Response r = ask(c, connect(id, "127.0.0.1", port, c));
    assertNull(r.error(), "" + r.error());
    FileDescriptor[] fds = c.descriptors();
    assertEquals(1, fds.length);
    Socket s = socketOf(fds[0]);
    toClose.add(s);
    toClose.add(server.accept());
    return s;
  }

  @Test
  void listen_handsOverTheBoundSocket_outsiderConnects_closedWhenTheModuleStops() throws Exception {
    int port = freePort();
    LoaderFixture fx = start("listen = [\"127.0.0.1:" + port + "\"]", b -> {});
    RawClient c = client(fx);

    c.send(LoaderFixture.request(1, "net_listen", new Api.NetListenParams("127.0.0.1:" + port), c));
    RawClient.RawFrame f = c.readRawFrame();
    Message.Response r = (Message.Response) f.message();
    assertNull(r.error(), "" + r.error());
    assertEquals(
        new Api.NetListening("127.0.0.1", port),
        c.codec.toValue(r.result(), Api.NetListening.class));
    assertEquals(1, f.descriptors().length);
    assertEquals(0, f.descriptorAt());
    FileDescriptor lfd = f.descriptors()[0];
    java.nio.channels.ServerSocketChannel listening =
        FileDescriptorCast.using(lfd).as(java.nio.channels.ServerSocketChannel.class);
    ((org.newsclub.net.unix.AFServerSocket<?>) listening.socket())
        .addCloseable(() -> new FileInputStream(lfd).close());
    try (Socket outsider = new Socket(InetAddress.getLoopbackAddress(), port);
        java.nio.channels.SocketChannel accepted = listening.accept()) {
      accepted.write(java.nio.ByteBuffer.wrap("hello\n".getBytes(StandardCharsets.US_ASCII)));
      assertEquals("hello", line(outsider));
    }
    listening.close();
    awaitAudit("net_listen:127.0.0.1:" + port, "allowed");

    fx.manager.stopModule("net");
    assertThrows(
        ConnectException.class,
        () -> new Socket(InetAddress.getLoopbackAddress(), port).close(),
        "the loader closed its listening socket when the module stopped");
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  @Test
  void listen_addressNotInThePolicy_notCapableNamingTheEntryToAdd() throws Exception {
    int port = freePort();
    LoaderFixture fx = start("listen = [\"127.0.0.1:" + port + "\"]", b -> {});
    RawClient c = client(fx);

    Message.Response r =
        ask(
            c,
            LoaderFixture.request(1, "net_listen", new Api.NetListenParams("0.0.0.0:" + port), c));
    assertEquals(ErrorCode.NOT_CAPABLE, r.error().code());
    assertEquals(Capability.NETWORK_LISTEN, r.error().capability());
    assertTrue(
        r.error()
            .message()
            .contains("add \"0.0.0.0:" + port + "\" to [modules.net.network] listen"),
        r.error().message());
    assertEquals(0, c.descriptors().length);
  }

  @Test
  void listen_addressTaken_theLaunchFailsNamingIt() throws Exception {
    int port = server.getLocalPort();
    LoaderFixture fx = start("listen = [\"127.0.0.1:" + port + "\"]", b -> {});

    ModuleStatus s = fx.manager.status("net").orElseThrow();
    assertEquals(ModuleState.FAILED, s.state());
    assertTrue(
        s.detail().contains("cannot listen on 127.0.0.1:" + port + " for module net"), s.detail());
    assertTrue(s.detail().contains("EADDRINUSE"), s.detail());
  }

  @Test
  void moduleSendingADescriptor_protocolViolation_descriptorClosed() throws Exception {
    LoaderFixture fx = start("", b -> {});
    RawClient c = client(fx);
    try (FileInputStream f = new FileInputStream("/dev/null")) {
      c.sendWithDescriptors(LoaderFixture.request(1, "get_chain_tip", null, c), f.getFD());
    }
    Message.Close close = c.expect(Message.Close.class);
    assertEquals(ErrorCode.PROTOCOL_ERROR, close.code());
    assertEquals(
        "a module may not send file descriptors to the node (1 received)", close.message());
    assertTrue(c.closedByNode());
  }

  @Test
  void descriptorFrame_amongEventsAndDirectAnswers_arrivesWholeWithItsDescriptor()
      throws Exception {
    int port = server.getLocalPort();
    LoaderFixture fx = start("connect = [\"127.0.0.1:" + port + "\"]", b -> {});
    RawClient c = client(fx);
    c.send(
        LoaderFixture.request(
            1, "subscribe_events", new Api.SubscribeParams(List.of("NewBlock")), c));
    assertEquals(1, c.readRawFrame().message() instanceof Message.Response r ? r.id() : -1);

    Thread publisher =
        new Thread(
            () -> {
              for (int i = 0; i < 500; i++) {
                fx.manager.publish(
                    EventType.NewBlock,
                    new EventPayloads.NewBlock(LoaderFixture.H1, i, LoaderFixture.H0, 0, 1));
              }
            });
    publisher.start();
    for (long id = 2; id < 60; id++) {
      c.send(
          id == 30
              ? connect(id, "127.0.0.1", port, c)
              : LoaderFixture.request(id, "get_chain_tip", null, c));
    }
    publisher.join();
    int answers = 0;
    int events = 0;
    long seq = 0;
    int withDescriptor = 0;
    while (answers < 58 || events < 500) {
      RawClient.RawFrame f = c.readRawFrame();
      if (f.message() instanceof Message.Event e) {
        assertEquals(++seq, e.seq(), "events keep consecutive sequence numbers");
        events++;
      } else {
        Message.Response r = (Message.Response) f.message();
        answers++;
        if (r.id() == 30) {
          assertNull(r.error(), "" + r.error());
          assertEquals(1, f.descriptors().length);
          assertEquals(0, f.descriptorAt());
          socketOf(f.descriptors()[0]).close();
          withDescriptor++;
        }
      }
      if (!(f.message() instanceof Message.Response r && r.id() == 30)) {
        assertEquals(0, f.descriptors().length, "no other frame carries a descriptor");
      }
    }
    assertEquals(1, withDescriptor);
    toClose.add(server.accept());
  }

  @Test
  void hostNetwork_brokerHasNoRules_andSaysWhy() throws Exception {
    LoaderFixture fx =
        new LoaderFixture(tmp)
            .policy(
                "[defaults]\ncapabilities = [" + CAPS + "]\n[modules.net]\nnetwork = \"host\"\n")
            .module("net", CAPS, "")
            .start(b -> {});
    toClose.add(fx);
    RawClient c = client(fx);

    Message.Response r = ask(c, connect(1, "127.0.0.1", 1, c));
    assertEquals(ErrorCode.NOT_CAPABLE, r.error().code());
    assertTrue(r.error().message().contains("shares the host's network"), r.error().message());
    assertTrue(fx.launcher.specs.get("net").confinement().network(), "the launch shares it");
  }
}
