package org.blvm.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A connection to a node's admin socket (docs/admin.md), made with the JDK's Unix sockets. One
 * request at a time. Not thread-safe.
 */
public final class AdminClient implements AutoCloseable {
  /** Receives the events of a stream, in order. */
  @FunctionalInterface
  public interface EventHandler {
    void onEvent(JsonNode event) throws IOException;
  }

  /** The node cannot be reached: no socket, refused, or no permission. */
  public static final class UnreachableException extends IOException {
    private static final long serialVersionUID = 1L;

    private final transient Path socket;

    UnreachableException(Path socket, String message) {
      super(message);
      this.socket = socket;
    }

    public Path socket() {
      return socket;
    }
  }

  private final SocketChannel channel;
  private final Selector selector;
  private final LineReader reader;
  private final AtomicLong ids = new AtomicLong();
  private long deadline;

  private AdminClient(SocketChannel channel, Selector selector) {
    this.channel = channel;
    this.selector = selector;
    this.reader = new LineReader(this::read);
  }

  /**
   * Connects to the node's admin socket.
   *
   * @throws UnreachableException naming the socket and the likely fix when it cannot
   */
  public static AdminClient connect(Path socket) throws IOException {
    if (!Files.exists(socket, LinkOption.NOFOLLOW_LINKS)) {
      // the nearest directory we can see: one we may not enter hides the socket
      for (Path d = socket.toAbsolutePath().getParent(); d != null; d = d.getParent()) {
        if (Files.isDirectory(d)) {
          if (!Files.isExecutable(d)) {
            throw new UnreachableException(
                socket,
                "cannot reach "
                    + socket
                    + ": permission denied on "
                    + d
                    + " (run as the node's user or root)");
          }
          break;
        }
      }
      throw new UnreachableException(
          socket,
          "no admin socket at "
              + socket
              + ": is the node running? (give its socket with --admin-socket or its home with"
              + " --home)");
    }
    SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
    try {
      ch.connect(UnixDomainSocketAddress.of(socket));
      ch.configureBlocking(false);
      Selector sel = Selector.open();
      ch.register(sel, SelectionKey.OP_READ);
      return new AdminClient(ch, sel);
    } catch (SocketException e) {
      ch.close();
      String why = e.getMessage() == null ? "" : e.getMessage();
      if (why.contains("ermission")) {
        throw new UnreachableException(
            socket,
            "cannot connect to " + socket + ": permission denied (run as the node's user or root)");
      }
      if (why.contains("efused")) {
        throw new UnreachableException(
            socket, "no node listens on " + socket + " (connection refused): is the node running?");
      }
      throw new UnreachableException(socket, "cannot connect to " + socket + ": " + why);
    } catch (IOException | RuntimeException e) {
      ch.close();
      throw e;
    }
  }

  /**
   * Sends a request and returns its result, waiting at most {@code timeout}.
   *
   * @throws AdminException the node's error answer
   * @throws SocketTimeoutException when no answer came in time
   */
  public JsonNode call(String command, ObjectNode args, Duration timeout)
      throws IOException, AdminException {
    return stream(
        command,
        args,
        timeout,
        e -> {
          throw new IOException("the node streamed an event in answer to " + command);
        });
  }

  /**
   * Sends a request whose answer may be a stream: each event goes to {@code events} until the final
   * result, which is returned. {@code timeout} bounds the wait for each line (a stream that may be
   * quiet for long needs a long one).
   */
  public JsonNode stream(String command, ObjectNode args, Duration timeout, EventHandler events)
      throws IOException, AdminException {
    long id = ids.incrementAndGet();
    try {
      write(new AdminRequest(id, command, args).encode(), timeout);
    } catch (IOException e) {
      // a node that refuses a connection (FORBIDDEN, BUSY) answers and closes at once: its
      // answer may be waiting although the request could not be sent
      AdminException refusal = pendingRefusal();
      if (refusal != null) {
        throw refusal;
      }
      throw e;
    }
    while (true) {
      deadline = System.nanoTime() + timeout.toNanos();
      byte[] line = reader.readLine(AdminProtocol.MAX_RESPONSE_BYTES);
      if (line == null) {
        throw new IOException("the node closed the connection without an answer");
      }
      AdminResponse r = AdminResponse.decode(line);
      if (r.id() >= 0 && r.id() != id) {
        throw new IOException("the node answered request " + r.id() + ", expected " + id);
      }
      switch (r.kind()) {
        case EVENT:
          events.onEvent(r.body());
          break;
        case RESULT:
          return r.body();
        default:
          throw r.error();
      }
    }
  }

  /** An error line already received, or null. */
  private AdminException pendingRefusal() {
    deadline = System.nanoTime() + 1_000_000_000L;
    try {
      byte[] line = reader.readLine(AdminProtocol.MAX_RESPONSE_BYTES);
      if (line != null) {
        AdminResponse r = AdminResponse.decode(line);
        return r.kind() == AdminResponse.Kind.ERROR ? r.error() : null;
      }
    } catch (IOException e) {
      // nothing readable
    }
    return null;
  }

  private void write(byte[] bytes, Duration timeout) throws IOException {
    ByteBuffer b = ByteBuffer.wrap(bytes);
    long until = System.nanoTime() + timeout.toNanos();
    while (b.hasRemaining()) {
      if (channel.write(b) > 0) {
        continue;
      }
      long left = until - System.nanoTime();
      if (left <= 0) {
        throw new SocketTimeoutException("the node did not take the request in time");
      }
      SelectionKey key = channel.keyFor(selector);
      key.interestOps(SelectionKey.OP_WRITE);
      selector.select(Math.max(1, left / 1_000_000));
      selector.selectedKeys().clear();
      key.interestOps(SelectionKey.OP_READ);
    }
  }

  private int read(byte[] buffer, int offset, int length) throws IOException {
    ByteBuffer b = ByteBuffer.wrap(buffer, offset, length);
    while (true) {
      int n = channel.read(b);
      if (n != 0) {
        return n;
      }
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        throw new SocketTimeoutException("no answer from the node in time");
      }
      selector.select(Math.max(1, left / 1_000_000));
      selector.selectedKeys().clear();
    }
  }

  @Override
  public void close() throws IOException {
    try {
      selector.close();
    } finally {
      channel.close();
    }
  }
}
