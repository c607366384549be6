package org.blvm.sdk;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.blvm.protocol.Capability;
import org.blvm.protocol.Codec;
import org.blvm.protocol.ErrorCode;
import org.blvm.protocol.Frames;
import org.blvm.protocol.Message;
import org.blvm.protocol.ModuleContext;
import org.blvm.protocol.NodeMethod;
import org.blvm.protocol.ProtocolException;

/**
 * A fake node for one connection: listens in a private directory, checks the hello's token, answers
 * the setup requests (subscribe_events, register_module_api, ready) and hands every other request
 * to {@link #responder} (or leaves it unanswered). Every message the module sends lands in {@link
 * #inbox}, in order.
 */
final class FakeNode implements AutoCloseable {
  static final String TOKEN = "ab".repeat(32);
  static final Codec CODEC = Codec.withDefaults();
  static final JsonNodeFactory JSON = JsonNodeFactory.instance;

  final Path dir;
  final Path socket;
  final BlockingQueue<Message> inbox = new LinkedBlockingQueue<>();
  private final ServerSocketChannel server;
  private volatile SocketChannel conn;
  private volatile Thread thread;

  /** Answer to the hello: a welcome for the right token, otherwise this close. */
  volatile Message.Close closeOnHello;

  /** Never answer the hello (to test the handshake deadline). */
  volatile boolean ignoreHello;

  /**
   * Answers requests first; when it returns null the setup requests get their default answer and
   * any other request stays unanswered.
   */
  volatile Function<Message.Request, Message> responder = r -> null;

  volatile JsonNode config = JSON.objectNode();

  /** A fake node listening at {@code parent/sock/node.sock}, the directory made 0700. */
  static FakeNode start(Path parent) throws IOException {
    Path dir = parent.resolve("sock");
    Files.createDirectories(dir);
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
    return new FakeNode(dir).accept();
  }

  FakeNode(Path dir) throws IOException {
    this.dir = dir;
    this.socket = dir.resolve("node.sock");
    this.server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    server.bind(UnixDomainSocketAddress.of(socket));
  }

  ServerSocketChannel server() {
    return server;
  }

  ModuleClient.Builder builder() {
    return new ModuleClient.Builder(java.util.Map.of(), new String[0])
        .socket(socket)
        .token(TOKEN)
        .handshakeTimeout(Duration.ofSeconds(5))
        .requestTimeout(Duration.ofSeconds(5));
  }

  FakeNode accept() {
    Thread t = new Thread(this::serve, "fake-node");
    t.setDaemon(true);
    thread = t;
    t.start();
    return this;
  }

  private void serve() {
    try {
      conn = server.accept();
      InputStream in = new ChannelIn(conn);
      while (true) {
        byte[] payload = Frames.read(in, CODEC.limits().maxFrameBytes());
        if (payload == null) {
          return;
        }
        Message m = CODEC.decode(payload);
        inbox.add(m);
        if (m instanceof Message.Hello h) {
          if (ignoreHello) {
            continue;
          }
          if (closeOnHello != null) {
            send(closeOnHello);
            conn.close();
            return;
          }
          if (!h.token().equals(TOKEN)) {
            send(new Message.Close(ErrorCode.UNAUTHENTICATED, "bad token"));
            conn.close();
            return;
          }
          send(
              new Message.Welcome(
                  Codec.PROTOCOL_VERSION,
                  new ModuleContext(
                      "mod-a",
                      config,
                      "/data",
                      socket.toString(),
                      List.of(Capability.READ_BLOCKCHAIN))));
        } else if (m instanceof Message.Request r) {
          Message answer = responder.apply(r);
          if (answer == null) {
            answer = setupAnswer(r);
          }
          if (answer != null) {
            send(answer);
          }
        }
      }
    } catch (IOException | ProtocolException e) {
      // connection gone; tests look at the inbox
    }
  }

  private static Message setupAnswer(Message.Request r) {
    if (r.method().equals(NodeMethod.SUBSCRIBE_EVENTS.wireName())) {
      ObjectNode result = JSON.objectNode();
      result.set("events", r.params().get("events"));
      return Message.Response.ok(r.id(), result);
    }
    if (r.method().equals(NodeMethod.REGISTER_MODULE_API.wireName())
        || r.method().equals(NodeMethod.READY)) {
      return Message.Response.ok(r.id(), JSON.objectNode());
    }
    return null;
  }

  /** Sends one message; safe from any thread. */
  synchronized void send(Message m) throws IOException {
    sendRaw(Frames.frame(CODEC.encode(m)));
  }

  synchronized void sendRaw(byte[] bytes) throws IOException {
    ByteBuffer b = ByteBuffer.wrap(bytes);
    while (b.hasRemaining()) {
      conn.write(b);
    }
  }

  /** The next message from the module, or fails after the deadline. */
  Message next(Duration timeout) throws InterruptedException {
    Message m = inbox.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
    if (m == null) {
      throw new AssertionError("no message from the module within " + timeout);
    }
    return m;
  }

  /** Skips messages until one of the given type arrives (or fails after the deadline). */
  <T extends Message> T nextOf(Class<T> type, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      long left = deadline - System.nanoTime();
      Message m = left <= 0 ? null : inbox.poll(left, TimeUnit.NANOSECONDS);
      if (m == null) {
        throw new AssertionError("no " + type.getSimpleName() + " from the module in " + timeout);
      }
      if (type.isInstance(m)) {
        return type.cast(m);
      }
    }
  }

  /** Waits until the module has closed the connection (the fake node saw end of stream). */
  boolean awaitDisconnect(Duration timeout) throws InterruptedException {
    Thread t = thread;
    t.join(timeout.toMillis());
    return !t.isAlive();
  }

  /** Drops the connection without a close message. */
  void drop() throws IOException {
    conn.close();
  }

  @Override
  public void close() throws IOException {
    if (conn != null) {
      conn.close();
    }
    server.close();
    Thread t = thread;
    if (t != null) {
      try {
        t.join(5000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    Files.deleteIfExists(socket);
  }

  private static final class ChannelIn extends InputStream {
    private final SocketChannel ch;

    ChannelIn(SocketChannel ch) {
      this.ch = ch;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      return len == 0 ? 0 : ch.read(ByteBuffer.wrap(b, off, len));
    }
  }
}
