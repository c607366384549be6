package org.blvm.loader;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.LongPredicate;
import org.blvm.protocol.Codec;
import org.blvm.protocol.ErrorCode;
import org.blvm.protocol.Frames;
import org.blvm.protocol.Message;
import org.blvm.protocol.ProtocolException;
import org.newsclub.net.unix.AFUNIXServerSocket;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;
import org.newsclub.net.unix.AFUNIXSocketCredentials;

/**
 * A module's listening socket and everything that must be closed with it. It binds {@code
 * module.sock} in the module's private directory, runs the accept thread {@code
 * blvm-<module>-accept}, checks each peer's pid (SO_PEERCRED) before anything else, reads the hello
 * on that thread, and hands connections that pass to a {@link Gate}. A connection that is refused
 * or breaks the protocol before its hello is answered and closed on the accept thread; such bad
 * connections are counted ({@link BadConnections}), and too many within a minute make the module
 * count as misbehaving.
 *
 * <p>It owns every closeable of the module — the socket file, the server socket and each connection
 * — registered as they are made. {@link #close} closes each exactly once, newest first
 * (connections, then the server socket, then the socket file); a closeable registered after the
 * close is refused and closed by its owner. A second caller of {@link #close} returns once the
 * first has finished (bounded), so whoever stops a module finds the socket file gone, not about to
 * go.
 *
 * <p>Over 400 lines: the socket's lifecycle, the accept thread and the pre-hello checks share the
 * registry of closeables.
 */
final class Endpoint {
  private static final System.Logger LOG = System.getLogger("blvm.loader.module");

  /** The socket's file name in the module's private directory. */
  static final String SOCKET_NAME = "module.sock";

  /** sun_path holds 108 bytes including the terminating NUL. */
  private static final int MAX_SOCKET_PATH_BYTES = 107;

  /** How long a second closer waits for the first. */
  private static final long CLOSE_WAIT_SECONDS = 5;

  /** One thing to close, given why. */
  @FunctionalInterface
  interface Closer {
    void close(String why) throws IOException;
  }

  /** Decides on connections whose peer passed the pid check. Called on the accept thread. */
  interface Gate {
    /**
     * Refuses before the hello: the module is not running, already connected, or its token used.
     */
    void precheck() throws Refused;

    /**
     * Checks the hello and returns the authenticated connection to start (its welcome queued, the
     * connection registered with the endpoint), or throws why the peer is refused.
     */
    Connection admit(AFUNIXSocket sock, long pid, Message.Hello hello) throws Refused;

    /** A protocol violation before the handshake (counted for the module). */
    void protocolViolation();

    /** The module's connects broke the rules too often (see {@link BadConnections}). */
    void misbehaving(String why);
  }

  /** A connection that is refused, with the close code and message it is told. */
  static final class Refused extends Exception {
    private static final long serialVersionUID = 1L;
    private final ErrorCode code;

    Refused(ErrorCode code, String reason) {
      super(reason);
      this.code = code;
    }

    ErrorCode code() {
      return code;
    }
  }

  /** A protocol violation before the handshake; {@code null} message: the peer just left. */
  private static final class PreHello extends Exception {
    private static final long serialVersionUID = 1L;

    PreHello(String message) {
      super(message, null, false, false);
    }
  }

  /** Connections waiting to be accepted; more are refused by the kernel. */
  static final int BACKLOG = 4;

  private final String moduleId;
  private final Path socketDir;
  private final Codec codec;
  private final long helloTimeoutMs;
  private final BadConnections bad;
  private final BadConnections strangers;
  private final CountDownLatch closeDone = new CountDownLatch(1);

  @GuardedBy("this")
  private final Map<Object, Closer> closeables = new IdentityHashMap<>();

  @GuardedBy("this")
  private final List<Object> order = new ArrayList<>();

  @GuardedBy("this")
  private AFUNIXServerSocket server;

  @GuardedBy("this")
  private boolean closed;

  @GuardedBy("this")
  private Thread closer;

  /**
   * @param bad counts this module's bad connections; {@code strangers} rate-limits the log lines
   *     about peers that are not the module's process (they never count against it)
   */
  Endpoint(
      String moduleId,
      Path socketDir,
      Codec codec,
      long helloTimeoutMs,
      BadConnections bad,
      BadConnections strangers) {
    this.moduleId = moduleId;
    this.socketDir = socketDir;
    this.codec = codec;
    this.helloTimeoutMs = helloTimeoutMs;
    this.bad = bad;
    this.strangers = strangers;
  }

  Path socketPath() {
    return socketDir.resolve(SOCKET_NAME);
  }

  /** Binds the listening socket (the directory must exist); an over-long path is refused. */
  void bind() throws IOException {
    Path socket = socketPath();
    int pathBytes = socket.toString().getBytes(StandardCharsets.UTF_8).length;
    if (pathBytes > MAX_SOCKET_PATH_BYTES) {
      throw new IOException(
          "socket path "
              + socket
              + " is "
              + pathBytes
              + " bytes; a Unix socket path holds at most "
              + MAX_SOCKET_PATH_BYTES
              + " (choose a shorter runtime directory)");
    }
    Files.deleteIfExists(socket);
    if (!register(socket, why -> Files.deleteIfExists(socket))) {
      throw new IOException("module " + moduleId + " is closing");
    }
    AFUNIXServerSocket s = AFUNIXServerSocket.newInstance();
    if (!register(s, why -> s.close())) {
      s.close();
      throw new IOException("module " + moduleId + " is closing");
    }
    s.bind(AFUNIXSocketAddress.of(socket.toFile()), BACKLOG);
    synchronized (this) {
      server = s;
    }
  }

  /**
   * Starts the accept thread. Each connection's peer pid must satisfy {@code isPeer}; then the gate
   * decides. A refused peer gets a close message and is disconnected. The accept thread marks the
   * first connection's steps in {@code timeline} and reports it at its welcome.
   */
  void startAccepting(LongPredicate isPeer, Gate gate, LaunchTimeline timeline) {
    AFUNIXServerSocket s;
    synchronized (this) {
      s = server;
    }
    Thread t =
        new Thread(() -> acceptLoop(s, isPeer, gate, timeline), "blvm-" + moduleId + "-accept");
    t.setDaemon(true);
    t.start();
  }

  private void acceptLoop(
      AFUNIXServerSocket s, LongPredicate isPeer, Gate gate, LaunchTimeline timeline) {
    while (!s.isClosed()) {
      AFUNIXSocket sock;
      try {
        sock = s.accept();
        timeline.mark("connected");
      } catch (IOException e) {
        if (!s.isClosed()) {
          LOG.log(
              System.Logger.Level.WARNING,
              "module {0}: accept failed: {1}",
              moduleId,
              e.getMessage());
        }
        return;
      }
      try {
        accept(sock, isPeer, gate, timeline);
      } catch (IOException | RuntimeException e) {
        LOG.log(
            System.Logger.Level.WARNING,
            "module {0}: connection refused: {1}",
            moduleId,
            e.toString());
        closeQuietly(sock);
      }
    }
  }

  /**
   * Handles one connection on the accept thread, up to and including its hello: a refused or
   * violating peer is answered and closed here, so it costs no thread. Only an authenticated
   * connection gets its reader and writer threads. While one connection is handled, further
   * connects wait in the {@link #BACKLOG}.
   */
  private void accept(AFUNIXSocket sock, LongPredicate isPeer, Gate gate, LaunchTimeline timeline)
      throws IOException {
    AFUNIXSocketCredentials creds = sock.getPeerCredentials();
    long pid = creds == null ? -1 : creds.getPid();
    long uid = creds == null ? -1 : creds.getUid();
    if (pid <= 0 || !isPeer.test(pid)) {
      String why =
          "peer pid "
              + Long.toString(pid)
              + " (uid "
              + Long.toString(uid)
              + ") is not module "
              + moduleId
              + "'s process";
      strangers.record("refused connection: " + why);
      refuse(sock, ErrorCode.UNAUTHENTICATED, why);
      return;
    }
    timeline.mark("peer-checked");
    Connection conn;
    try {
      gate.precheck();
      Message.Hello hello = readHello(sock);
      timeline.mark("hello");
      conn = gate.admit(sock, pid, hello);
      timeline.report("welcome");
    } catch (Refused r) {
      badConnection(gate, "refused connection: " + r.getMessage());
      refuse(sock, r.code(), r.getMessage());
      return;
    } catch (PreHello v) {
      if (v.getMessage() == null) {
        badConnection(gate, "connection closed before its hello");
        closeQuietly(sock);
      } else {
        gate.protocolViolation();
        badConnection(gate, "protocol violation before the handshake: " + v.getMessage());
        refuse(sock, ErrorCode.PROTOCOL_ERROR, v.getMessage());
      }
      return;
    }
    conn.start();
    timeline.started(pid);
  }

  /**
   * Reads the first frame within the hello timeout, exactly (frames after it stay in the socket for
   * the connection's reader), and decodes it.
   */
  private Message.Hello readHello(AFUNIXSocket sock) throws IOException, PreHello {
    sock.setSoTimeout((int) helloTimeoutMs);
    Message m;
    try {
      byte[] payload = Frames.read(sock.getInputStream(), codec.limits().maxFrameBytes());
      if (payload == null) {
        throw new PreHello(null);
      }
      m = codec.decode(payload);
    } catch (SocketTimeoutException e) {
      throw new PreHello("no hello within " + Long.toString(helloTimeoutMs) + " ms of connecting");
    } catch (ProtocolException e) {
      throw new PreHello(e.reason() + ": " + e.getMessage());
    } catch (IOException e) {
      throw new PreHello(null); // reset by the peer
    }
    if (!(m instanceof Message.Hello hello)) {
      throw new PreHello("expected hello as the first message, got " + m.kind());
    }
    sock.setSoTimeout(0);
    return hello;
  }

  private void badConnection(Gate gate, String why) {
    String misbehaving = bad.record(why);
    if (misbehaving != null) {
      gate.misbehaving(misbehaving);
    }
  }

  private void refuse(AFUNIXSocket sock, ErrorCode code, String reason) {
    try {
      sock.getOutputStream().write(codec.encodeFrame(new Message.Close(code, reason)));
    } catch (IOException e) {
      // the peer is gone; nothing to tell it
    } finally {
      closeQuietly(sock);
    }
  }

  /**
   * Registers a closeable under {@code key}; false when the endpoint is already closed (the caller
   * then closes it itself).
   */
  synchronized boolean register(Object key, Closer c) {
    if (closed) {
      return false;
    }
    if (closeables.put(key, c) == null) {
      order.add(key);
    }
    return true;
  }

  /** Forgets a closeable its owner has closed (a connection that ended). */
  synchronized void unregister(Object key) {
    if (closeables.remove(key) != null) {
      order.remove(key);
    }
  }

  /**
   * Closes every registered closeable once, newest first. A second caller returns when the first
   * has finished (waiting at most {@link #CLOSE_WAIT_SECONDS}, outside the monitor).
   */
  void close(String why) {
    List<Closer> toClose = new ArrayList<>();
    boolean first;
    boolean mine;
    synchronized (this) {
      first = !closed;
      if (first) {
        closed = true;
        closer = Thread.currentThread();
        for (int i = order.size() - 1; i >= 0; i--) {
          toClose.add(closeables.get(order.get(i)));
        }
        closeables.clear();
        order.clear();
      }
      mine = closer == Thread.currentThread();
    }
    if (!first) {
      if (!mine) {
        awaitClosed();
      }
      return;
    }
    try {
      for (Closer c : toClose) {
        try {
          c.close(why);
        } catch (IOException | RuntimeException e) {
          LOG.log(System.Logger.Level.DEBUG, "closing an endpoint of {0}: {1}", moduleId, e);
        }
      }
    } finally {
      closeDone.countDown();
    }
  }

  private void awaitClosed() {
    try {
      if (!closeDone.await(CLOSE_WAIT_SECONDS, TimeUnit.SECONDS)) {
        LOG.log(
            System.Logger.Level.WARNING,
            "module {0}: endpoints still closing after {1} s",
            moduleId,
            Long.toString(CLOSE_WAIT_SECONDS));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void closeQuietly(AFUNIXSocket s) {
    try {
      s.close();
    } catch (IOException e) {
      // nothing to do
    }
  }
}
