package org.blvm.loader;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import java.io.IOException;
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
import org.blvm.protocol.Message;
import org.newsclub.net.unix.AFUNIXServerSocket;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;
import org.newsclub.net.unix.AFUNIXSocketCredentials;

/**
 * A module's listening socket and everything that must be closed with it. It binds {@code
 * module.sock} in the module's private directory, runs the accept thread {@code
 * blvm-<module>-accept}, checks each peer's pid (SO_PEERCRED) before anything else, and hands
 * connections that pass to a {@link Gate}.
 *
 * <p>It owns every closeable of the module — the socket file, the server socket and each connection
 * — registered as they are made. {@link #close} closes each exactly once, newest first
 * (connections, then the server socket, then the socket file); a closeable registered after the
 * close is refused and closed by its owner. A second caller of {@link #close} returns once the
 * first has finished (bounded), so whoever stops a module finds the socket file gone, not about to
 * go.
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

  /** Decides on a connection whose peer passed the pid check. */
  @FunctionalInterface
  interface Gate {
    /**
     * Returns the connection to start for {@code sock} (registered with the endpoint by the gate),
     * or throws why the peer is refused.
     */
    Connection admit(AFUNIXSocket sock, long pid) throws Refused;
  }

  /** A connection the gate refused, and why (told to the peer in a close message). */
  static final class Refused extends Exception {
    private static final long serialVersionUID = 1L;

    Refused(String reason) {
      super(reason);
    }
  }

  private final String moduleId;
  private final Path socketDir;
  private final Codec codec;
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

  Endpoint(String moduleId, Path socketDir, Codec codec) {
    this.moduleId = moduleId;
    this.socketDir = socketDir;
    this.codec = codec;
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
    s.bind(AFUNIXSocketAddress.of(socket.toFile()));
    synchronized (this) {
      server = s;
    }
  }

  /**
   * Starts the accept thread. Each connection's peer pid must satisfy {@code isPeer}; then the gate
   * decides. A refused peer gets a close message and is disconnected.
   */
  void startAccepting(LongPredicate isPeer, Gate gate) {
    AFUNIXServerSocket s;
    synchronized (this) {
      s = server;
    }
    Thread t = new Thread(() -> acceptLoop(s, isPeer, gate), "blvm-" + moduleId + "-accept");
    t.setDaemon(true);
    t.start();
  }

  private void acceptLoop(AFUNIXServerSocket s, LongPredicate isPeer, Gate gate) {
    while (!s.isClosed()) {
      AFUNIXSocket sock;
      try {
        sock = s.accept();
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
        accept(sock, isPeer, gate);
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

  private void accept(AFUNIXSocket sock, LongPredicate isPeer, Gate gate) throws IOException {
    AFUNIXSocketCredentials creds = sock.getPeerCredentials();
    long pid = creds == null ? -1 : creds.getPid();
    long uid = creds == null ? -1 : creds.getUid();
    Connection conn;
    try {
      if (pid <= 0 || !isPeer.test(pid)) {
        throw new Refused(
            "peer pid "
                + Long.toString(pid)
                + " (uid "
                + Long.toString(uid)
                + ") is not module "
                + moduleId
                + "'s process");
      }
      conn = gate.admit(sock, pid);
    } catch (Refused r) {
      LOG.log(
          System.Logger.Level.WARNING,
          "module {0}: refused connection: {1}",
          moduleId,
          r.getMessage());
      refuse(sock, r.getMessage());
      return;
    }
    conn.start();
  }

  private void refuse(AFUNIXSocket sock, String reason) {
    try {
      sock.getOutputStream()
          .write(codec.encodeFrame(new Message.Close(ErrorCode.UNAUTHENTICATED, reason)));
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
