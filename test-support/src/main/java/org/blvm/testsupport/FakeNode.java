package org.blvm.testsupport;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.FileDescriptor;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.IntConsumer;
import org.blvm.protocol.Capability;
import org.blvm.protocol.Codec;
import org.blvm.protocol.ErrorCode;
import org.blvm.protocol.Frames;
import org.blvm.protocol.Message;
import org.blvm.protocol.ModuleContext;
import org.blvm.protocol.NodeMethod;
import org.blvm.protocol.ProtocolException;
import org.newsclub.net.unix.AFUNIXServerSocketChannel;
import org.newsclub.net.unix.AFUNIXSocketAddress;
import org.newsclub.net.unix.AFUNIXSocketChannel;

/**
 * A scripted node for one module connection, for testing a module (the SDK, or a module process)
 * without the loader: it listens on a UNIX-domain socket in a private directory, checks the hello's
 * token and answers with a welcome, answers the setup requests (subscribe_events with every event
 * asked for, register_module_api, ready) and hands every other request to the {@linkplain
 * #respondWith responder}, or leaves it for the test to answer with {@link #send}. Every message
 * the module sends lands in {@link #inbox()}, in order, including those it answered.
 */
public final class FakeNode implements AutoCloseable {
  /** The token {@link #start} expects unless told otherwise. */
  public static final String TOKEN = "ab".repeat(32);

  public static final Codec CODEC = Codec.withDefaults();
  public static final JsonNodeFactory JSON = JsonNodeFactory.instance;

  private final Path dir;
  private final Path socket;
  private final BlockingQueue<Message> inbox = new LinkedBlockingQueue<>();
  private final AFUNIXServerSocketChannel server;
  private volatile AFUNIXSocketChannel conn;
  private volatile Thread thread;

  private volatile String token = TOKEN;
  private volatile String moduleId = "mod-a";
  private volatile List<Capability> capabilities = List.of(Capability.READ_BLOCKCHAIN);
  private volatile String dataDir = "/data";
  private volatile JsonNode config = JSON.objectNode();
  private volatile Message.Close closeOnHello;
  private volatile boolean ignoreHello;
  private volatile Function<Message.Request, Message> responder = r -> null;
  private volatile List<Message> afterWelcome = List.of();

  /** A module's entry point, as its {@code main} calls it: the exit status from the arguments. */
  @FunctionalInterface
  public interface ModuleMain {
    int run(String[] args) throws InterruptedException;
  }

  /**
   * Runs a module in this JVM against this node: {@code main} with the socket and the expected
   * token as arguments, on a daemon thread named {@code threadName}, started now. Its exit status
   * goes to {@code exit}; an interrupt ends the thread with the interrupt kept.
   */
  public Thread runModule(String threadName, ModuleMain main, IntConsumer exit) {
    String[] args = {"--blvm-socket=" + socket, "--blvm-token=" + token};
    Thread t =
        new Thread(
            () -> {
              try {
                exit.accept(main.run(args));
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            },
            threadName);
    t.setDaemon(true);
    t.start();
    return t;
  }

  /**
   * A fake node listening at {@code parent/sock/node.sock} (the directory made 0700), accepting.
   */
  public static FakeNode start(Path parent) throws IOException {
    Path dir = parent.resolve("sock");
    Files.createDirectories(dir);
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
    return new FakeNode(dir).accept();
  }

  /** A fake node listening at {@code dir/node.sock}, not yet accepting ({@link #accept}). */
  public FakeNode(Path dir) throws IOException {
    this.dir = dir;
    this.socket = dir.resolve("node.sock");
    this.server = AFUNIXServerSocketChannel.open();
    server.bind(AFUNIXSocketAddress.of(socket));
  }

  public Path dir() {
    return dir;
  }

  public Path socket() {
    return socket;
  }

  public ServerSocketChannel server() {
    return server;
  }

  /** Every message the module sent, in order. */
  public BlockingQueue<Message> inbox() {
    return inbox;
  }

  /** The token the hello must carry; another gets {@code close UNAUTHENTICATED "bad token"}. */
  public FakeNode token(String expected) {
    this.token = Objects.requireNonNull(expected);
    return this;
  }

  /** What the welcome tells the module about itself (default: mod-a, read_blockchain, /data). */
  public FakeNode welcomeAs(String moduleId, List<Capability> capabilities, String dataDir) {
    this.moduleId = Objects.requireNonNull(moduleId);
    this.capabilities = List.copyOf(capabilities);
    this.dataDir = Objects.requireNonNull(dataDir);
    return this;
  }

  /** The config the welcome carries (default: an empty map). */
  public FakeNode welcomeConfig(JsonNode config) {
    this.config = Objects.requireNonNull(config);
    return this;
  }

  /** Messages sent right behind the welcome, in the same write (events, say). */
  public FakeNode afterWelcome(Message... messages) {
    this.afterWelcome = List.of(messages);
    return this;
  }

  /** Answers the hello with this close instead of a welcome, then drops the connection. */
  public FakeNode closeOnHello(Message.Close close) {
    this.closeOnHello = close;
    return this;
  }

  /** Never answers the hello (to test the handshake deadline). */
  public FakeNode ignoreHello() {
    this.ignoreHello = true;
    return this;
  }

  /**
   * Answers requests first; when it returns null the setup requests get their default answer and
   * any other request stays unanswered.
   */
  public FakeNode respondWith(Function<Message.Request, Message> responder) {
    this.responder = Objects.requireNonNull(responder);
    return this;
  }

  /** Starts accepting the one connection and serving it on a thread of its own. */
  public FakeNode accept() {
    Thread t = new Thread(this::serve, "fake-node");
    t.setDaemon(true);
    thread = t;
    t.start();
    return this;
  }

  private void serve() {
    try {
      conn = server.accept();
      InputStream in = conn.socket().getInputStream();
      while (true) {
        byte[] payload = Frames.read(in, CODEC.limits().maxFrameBytes());
        if (payload == null) {
          return;
        }
        Message m = CODEC.decode(payload);
        inbox.add(m);
        if (m instanceof Message.Hello h) {
          if (!answerHello(h)) {
            return;
          }
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

  /** False when the connection was closed instead. */
  private boolean answerHello(Message.Hello h) throws IOException {
    if (ignoreHello) {
      return true;
    }
    Message.Close refusal = closeOnHello;
    if (refusal == null && !h.token().equals(token)) {
      refusal = new Message.Close(ErrorCode.UNAUTHENTICATED, "bad token");
    }
    if (refusal != null) {
      send(refusal);
      conn.close();
      return false;
    }
    ByteArrayOutputStream frames = new ByteArrayOutputStream();
    frames.write(
        CODEC.encodeFrame(
            new Message.Welcome(
                Codec.PROTOCOL_VERSION,
                new ModuleContext(moduleId, config, dataDir, socket.toString(), capabilities))));
    for (Message m : afterWelcome) {
      frames.write(CODEC.encodeFrame(m));
    }
    sendRaw(frames.toByteArray());
    return true;
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
  public synchronized void send(Message m) throws IOException {
    sendRaw(Frames.frame(CODEC.encode(m)));
  }

  /** Sends bytes as they are (a broken frame, say); safe from any thread. */
  public synchronized void sendRaw(byte[] bytes) throws IOException {
    ByteBuffer b = ByteBuffer.wrap(bytes);
    while (b.hasRemaining()) {
      conn.write(b);
    }
  }

  /**
   * Sends one message with descriptors, the node's way (docs/protocol.md §2.5): the whole frame in
   * one write whose ancillary data carries them, so they travel with the frame's first byte. The
   * caller keeps its own copies (the kernel passes duplicates).
   */
  public synchronized void sendWithDescriptors(Message m, FileDescriptor... fds)
      throws IOException {
    conn.setOutboundFileDescriptors(fds);
    try {
      ByteBuffer b = ByteBuffer.wrap(Frames.frame(CODEC.encode(m)));
      while (b.hasRemaining()) {
        conn.write(b);
        conn.setOutboundFileDescriptors((FileDescriptor[]) null);
      }
    } finally {
      conn.setOutboundFileDescriptors((FileDescriptor[]) null);
    }
  }

  /** The next message from the module, or fails after the deadline. */
  public Message next(Duration timeout) throws InterruptedException {
    Message m = inbox.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
    if (m == null) {
      throw new AssertionError("no message from the module within " + timeout);
    }
    return m;
  }

  /** Skips messages until one of the given type arrives (or fails after the deadline). */
  public <T extends Message> T nextOf(Class<T> type, Duration timeout) throws InterruptedException {
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
  public boolean awaitDisconnect(Duration timeout) throws InterruptedException {
    Thread t = thread;
    t.join(timeout.toMillis());
    return !t.isAlive();
  }

  /** Drops the connection without a close message. */
  public void drop() throws IOException {
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
}
