package org.blvm.sdk;

import static org.blvm.sdk.TestClients.builder;
import static org.blvm.testsupport.FakeNode.JSON;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.FileDescriptor;
import java.io.IOException;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.blvm.protocol.ErrorCode;
import org.blvm.protocol.ErrorValue;
import org.blvm.protocol.Message;
import org.blvm.protocol.NodeMethod;
import org.blvm.testsupport.FakeNode;
import org.blvm.testsupport.Poll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.newsclub.net.unix.AFUNIXServerSocket;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;
import org.newsclub.net.unix.AFUNIXSocketChannel;
import org.newsclub.net.unix.AFUNIXSocketPair;

/**
 * {@code api().connect} and {@code api().listen} against a fake node that passes descriptors as the
 * node does (docs/protocol.md §2.5): a descriptor is owned exactly once — handed to the caller as a
 * socket, or closed (error answer, unexpected frame, too many, a caller that gave up). The handed
 * over sockets here are UNIX-domain ones (a socket pair, a listening socket in the test's
 * directory): what the SDK does with the descriptor does not depend on the family, and real TCP
 * sockets from the loader's broker are SandboxNetworkIT's.
 */
@Timeout(30)
final class DescriptorCallsTest {
  private static final Duration WAIT = Duration.ofSeconds(5);

  @TempDir Path tmp;
  private FakeNode node;
  private ModuleClient client;
  private final List<AutoCloseable> closeLater = new ArrayList<>();

  @BeforeEach
  void startNode() throws Exception {
    node = FakeNode.start(tmp);
  }

  @AfterEach
  void stopAll() throws Exception {
    if (client != null) {
      client.close();
    }
    node.close();
    for (AutoCloseable c : closeLater) {
      c.close();
    }
  }

  /** A connected pair: the first end's descriptor goes to the module, the test keeps both. */
  private Pair pair() throws IOException {
    Set<String> before = fdLinks().keySet();
    AFUNIXSocketPair<AFUNIXSocketChannel> p = AFUNIXSocketPair.open();
    closeLater.add(p.getSocket1());
    closeLater.add(p.getSocket2());
    Map<String, Long> now = fdLinks();
    Set<String> opened = new HashSet<>(now.keySet());
    opened.removeAll(before);
    assertFalse(opened.isEmpty(), "the pair's sockets among the open descriptors");
    return new Pair(p, opened, opened.stream().mapToLong(now::get).sum());
  }

  /**
   * A socket pair, the {@code /proc/self/fd} link targets that appeared when it was opened, and how
   * many descriptors pointed there then (the test's own).
   */
  private record Pair(
      AFUNIXSocketPair<AFUNIXSocketChannel> sockets, Set<String> links, long ownCopies) {
    FileDescriptor fd() throws IOException {
      return sockets.getSocket1().socket().getFileDescriptor();
    }

    /** How many descriptors of this process refer to the pair beyond the test's own. */
    long extraCopies() throws IOException {
      Map<String, Long> open = fdLinks();
      return links.stream().mapToLong(l -> open.getOrDefault(l, 0L)).sum() - ownCopies;
    }
  }

  /** Every open descriptor of this process by its link target, with how many point there. */
  private static Map<String, Long> fdLinks() throws IOException {
    Map<String, Long> links = new HashMap<>();
    try (DirectoryStream<Path> fds = Files.newDirectoryStream(Path.of("/proc/self/fd"))) {
      for (Path fd : fds) {
        try {
          links.merge(Files.readSymbolicLink(fd).toString(), 1L, Long::sum);
        } catch (IOException e) {
          // closed meanwhile (the directory stream's own descriptor, say)
        }
      }
    }
    return links;
  }

  private static void assertClosedInTheModule(Pair p, String what) throws Exception {
    Poll.until(
        () -> {
          try {
            return p.extraCopies() == 0;
          } catch (IOException e) {
            throw new AssertionError(e);
          }
        },
        WAIT,
        what);
  }

  private static Message.Response connected(long id) {
    return Message.Response.ok(
        id,
        JSON.objectNode().put("address", "192.0.2.1").put("port", 443).put("rule", "a.test:443"));
  }

  /** Answers the first request of {@code method} with {@code answer} and these descriptors. */
  private void answer(NodeMethod method, Message.Response answer, FileDescriptor... fds) {
    node.respondWith(
        r -> {
          if (r.method().equals(method.wireName())) {
            try {
              node.sendWithDescriptors(
                  new Message.Response(r.id(), answer.result(), answer.error()), fds);
            } catch (IOException e) {
              throw new AssertionError(e);
            }
          }
          return null;
        });
  }

  @Test
  void connect_answerCarriesOneDescriptor_returnsAConnectedSocketTheCallerOwns() throws Exception {
    Pair p = pair();
    answer(NodeMethod.NET_CONNECT, connected(0), p.fd());
    client = builder(node).connect();

    try (Socket s = client.api().connect("a.test", 443)) {
      Message.Request sent = node.nextOf(Message.Request.class, WAIT);
      while (!sent.method().equals("net_connect")) {
        sent = node.nextOf(Message.Request.class, WAIT);
      }
      assertEquals("a.test", sent.params().get("host").asText());
      assertEquals(443, sent.params().get("port").asInt());
      assertEquals(1, p.extraCopies(), "the module holds the descriptor");
      s.getOutputStream().write("ping".getBytes(StandardCharsets.US_ASCII));
      byte[] got = p.sockets().getSocket2().socket().getInputStream().readNBytes(4);
      assertEquals("ping", new String(got, StandardCharsets.US_ASCII));
    }
    assertClosedInTheModule(p, "closing the socket closes the descriptor");
    assertTrue(client.isOpen());
    assertEquals(5, heightAfter());
  }

  @Test
  void listen_answerCarriesOneDescriptor_returnsAServerChannelThatAccepts() throws Exception {
    Path address = tmp.resolve("listen.sock");
    AFUNIXServerSocket server = AFUNIXServerSocket.bindOn(AFUNIXSocketAddress.of(address));
    closeLater.add(server);
    server.setShutdownOnClose(false);
    answer(
        NodeMethod.NET_LISTEN,
        Message.Response.ok(0, JSON.objectNode().put("address", "0.0.0.0").put("port", 3333)),
        server.getFileDescriptor());
    client = builder(node).connect();

    try (ServerSocketChannel l = client.api().listen("0.0.0.0:3333");
        AFUNIXSocket outside = AFUNIXSocket.connectTo(AFUNIXSocketAddress.of(address));
        SocketChannel accepted = l.accept()) {
      accepted.write(ByteBuffer.wrap("hi".getBytes(StandardCharsets.US_ASCII)));
      assertEquals(
          "hi", new String(outside.getInputStream().readNBytes(2), StandardCharsets.US_ASCII));
    }
  }

  @Test
  void connect_errorAnswerWithADescriptor_throwsTheErrorAndClosesTheDescriptor() throws Exception {
    Pair p = pair();
    answer(
        NodeMethod.NET_CONNECT,
        new Message.Response(
            0, null, ErrorValue.of(ErrorCode.NOT_CAPABLE, "no rule allows b.test:443")),
        p.fd());
    client = builder(node).connect();

    NodeApiException e =
        assertThrows(NodeApiException.class, () -> client.api().connect("b.test", 443));

    assertEquals(ErrorCode.NOT_CAPABLE, e.code());
    assertClosedInTheModule(p, "the descriptor of an error answer is closed");
    assertTrue(client.isOpen(), "an unexpected descriptor is closed and ignored");
  }

  @Test
  void anyOtherFrameWithADescriptor_descriptorClosedAndTheFrameReadAsUsual() throws Exception {
    Pair p = pair();
    node.respondWith(
        r -> {
          if (r.method().equals("get_block_height")) {
            try {
              node.sendWithDescriptors(
                  Message.Response.ok(r.id(), JSON.objectNode().put("height", 5)), p.fd());
            } catch (IOException e) {
              throw new AssertionError(e);
            }
          }
          return null;
        });
    client = builder(node).connect();

    assertEquals(5, client.api().getBlockHeight());

    assertClosedInTheModule(p, "a descriptor on an ordinary answer is closed");
    assertTrue(client.isOpen());
  }

  /**
   * The whole path. Not by itself proof that the SDK closes the two: the violation closes the
   * connection, and junixsocket closes every received descriptor still open when its socket closes;
   * DescriptorHandOverTest sees the SDK's own close on a connection that stays open.
   */
  @Test
  void connect_answerWithTwoDescriptors_isAProtocolErrorAndBothAreClosed() throws Exception {
    Pair p = pair();
    Pair q = pair();
    answer(NodeMethod.NET_CONNECT, connected(0), p.fd(), q.fd());
    client = builder(node).connect();

    assertConnectIsAProtocolError("carried 2 descriptors");
    assertClosedInTheModule(p, "the first of two descriptors is closed");
    assertClosedInTheModule(q, "the second of two descriptors is closed");
  }

  @Test
  void connect_successfulAnswerWithoutADescriptor_isAProtocolError() throws Exception {
    node.respondWith(r -> r.method().equals("net_connect") ? connected(r.id()) : null);
    client = builder(node).connect();

    assertConnectIsAProtocolError("carried 0 descriptors");
  }

  @Test
  void connect_answerAfterTheCallGaveUp_descriptorClosed() throws Exception {
    Pair p = pair();
    CompletableFuture<Message.Request> held = new CompletableFuture<>();
    node.respondWith(
        r -> {
          if (r.method().equals("net_connect")) {
            held.complete(r);
          }
          return null;
        });
    client = builder(node).requestTimeout(Duration.ofMillis(300)).connect();

    NodeApiException e =
        assertThrows(NodeApiException.class, () -> client.api().connect("a.test", 443));
    assertEquals(ErrorCode.TIMEOUT, e.code());
    node.sendWithDescriptors(connected(held.get(5, TimeUnit.SECONDS).id()), p.fd());

    assertClosedInTheModule(p, "a late answer's descriptor is closed");
    assertTrue(client.isOpen());
  }

  @Test
  void connect_connectionDropsWhileWaiting_failsUnavailable() throws Exception {
    node.respondWith(r -> null);
    client = builder(node).connect();
    CompletableFuture<Socket> call = new CompletableFuture<>();
    Thread t =
        new Thread(
            () -> {
              try {
                call.complete(client.api().connect("a.test", 443));
              } catch (Throwable x) {
                call.completeExceptionally(x);
              }
            },
            "test-caller");
    t.setDaemon(true);
    t.start();
    Message.Request r = node.nextOf(Message.Request.class, WAIT);
    while (!r.method().equals("net_connect")) {
      r = node.nextOf(Message.Request.class, WAIT);
    }

    node.drop();

    ExecutionException e =
        assertThrows(ExecutionException.class, () -> call.get(5, TimeUnit.SECONDS));
    assertEquals(
        ErrorCode.UNAVAILABLE, assertInstanceOf(NodeApiException.class, e.getCause()).code());
    assertTrue(client.awaitShutdown(WAIT));
    assertFalse(client.isOpen());
  }

  /**
   * {@code connect} fails with UNAVAILABLE because the client closed the connection with {@code
   * PROTOCOL_ERROR}, its message containing {@code why}.
   */
  private void assertConnectIsAProtocolError(String why) throws Exception {
    NodeApiException e =
        assertThrows(NodeApiException.class, () -> client.api().connect("a.test", 443));
    assertEquals(ErrorCode.UNAVAILABLE, e.code());
    Message.Close close = node.nextOf(Message.Close.class, WAIT);
    assertEquals(ErrorCode.PROTOCOL_ERROR, close.code());
    assertTrue(close.message().contains(why), close.message());
  }

  /** The connection still answers an ordinary call. */
  private long heightAfter() throws Exception {
    node.respondWith(
        r ->
            r.method().equals("get_block_height")
                ? Message.Response.ok(r.id(), JSON.objectNode().put("height", 5))
                : null);
    return client.api().getBlockHeight();
  }
}
