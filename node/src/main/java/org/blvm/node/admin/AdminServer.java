package org.blvm.node.admin;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongPredicate;
import org.blvm.admin.AdminErrorCode;
import org.blvm.admin.AdminException;
import org.blvm.admin.AdminResponse;
import org.newsclub.net.unix.AFUNIXServerSocket;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;
import org.newsclub.net.unix.AFUNIXSocketCredentials;

/**
 * The node's admin socket (docs/admin.md): a Unix socket, mode 0600, in a directory of the node's
 * own (0700). Each connecting process's uid is read from the kernel (SO_PEERCRED); only the node's
 * own uid and root are served, everyone else is answered {@code FORBIDDEN}, disconnected and logged
 * (at most {@link RefusalLog#PER_MINUTE} lines a minute). At most {@code maxConnections} are served
 * at once, each on its own thread ({@code blvm-admin-connection-N}), with a request rate and an
 * idle timeout; one more is answered {@code BUSY} and disconnected. The accept thread is {@code
 * blvm-admin-accept}. Nothing here touches module traffic: a flood of the admin socket costs these
 * threads only.
 */
public final class AdminServer implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger("blvm.node.admin");

  /** The longest path a Unix socket address holds (sun_path less its terminating NUL). */
  static final int MAX_SOCKET_PATH_BYTES = 107;

  /**
   * Bounds of the admin socket.
   *
   * @param maxConnections connections served at once
   * @param requestsPerSecond each connection's sustained request rate
   * @param burst requests a connection may send at once
   * @param idleTimeout how long a connection may wait between requests (not while streaming)
   * @param allowedUid which peer uids are served
   */
  public record Settings(
      int maxConnections,
      double requestsPerSecond,
      int burst,
      Duration idleTimeout,
      LongPredicate allowedUid) {
    public Settings {
      if (maxConnections < 1 || requestsPerSecond <= 0 || burst < 1) {
        throw new IllegalArgumentException("admin socket bounds must be positive");
      }
      Objects.requireNonNull(idleTimeout, "idleTimeout");
      Objects.requireNonNull(allowedUid, "allowedUid");
    }

    /** 8 connections, 20 requests a second (40 at once), 60 s idle, the node's uid and root. */
    public static Settings defaults() throws IOException {
      long own = ownUid();
      return new Settings(8, 20, 40, Duration.ofSeconds(60), uid -> uid == own || uid == 0);
    }

    /** The same bounds, serving {@code allowed} instead. */
    public Settings withAllowedUid(LongPredicate allowed) {
      return new Settings(maxConnections, requestsPerSecond, burst, idleTimeout, allowed);
    }
  }

  private final Path socket;
  private final AFUNIXServerSocket server;
  private final CommandRegistry commands;
  private final Settings settings;
  private final RefusalLog refusals = new RefusalLog();
  private final AtomicInteger counter = new AtomicInteger();

  @GuardedBy("connections")
  private final Set<AdminConnection> connections = new HashSet<>();

  private final Thread acceptor;
  private volatile boolean closing;

  private AdminServer(
      Path socket, AFUNIXServerSocket server, CommandRegistry commands, Settings settings) {
    this.socket = socket;
    this.server = server;
    this.commands = commands;
    this.settings = settings;
    this.acceptor = new Thread(this::acceptLoop, "blvm-admin-accept");
    acceptor.setDaemon(true);
  }

  /**
   * Binds the socket and starts serving. The socket's directory is created 0700 when missing (its
   * parent must exist); an existing one must be a directory of this user's with no access for group
   * or others. A stale socket file (nothing listening) is replaced; a live one is refused.
   *
   * @throws IOException naming the path, the problem and the fix
   */
  public static AdminServer start(Path socket, CommandRegistry commands, Settings settings)
      throws IOException {
    Path path = socket.toAbsolutePath().normalize();
    int bytes = path.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
    if (bytes > MAX_SOCKET_PATH_BYTES) {
      throw new IOException(
          "admin socket path "
              + path
              + " is "
              + bytes
              + " bytes; a Unix socket path holds at most "
              + MAX_SOCKET_PATH_BYTES
              + " (choose a shorter --admin-socket or runtime directory)");
    }
    privateDir(path.getParent());
    removeStale(path);
    AFUNIXServerSocket s = AFUNIXServerSocket.newInstance();
    try {
      s.bind(AFUNIXSocketAddress.of(path.toFile()), 16);
      // junixsocket makes the file 0666; the 0700 directory already kept everyone else out
      Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-------"));
    } catch (IOException e) {
      s.close();
      throw new IOException("cannot bind the admin socket " + path + ": " + e.getMessage(), e);
    }
    AdminServer a = new AdminServer(path, s, commands, settings);
    a.acceptor.start();
    LOG.log(System.Logger.Level.INFO, "admin socket listening on {0}", path);
    return a;
  }

  /** The socket's path. */
  public Path socket() {
    return socket;
  }

  boolean closing() {
    return closing;
  }

  private void acceptLoop() {
    while (!closing) {
      AFUNIXSocket sock;
      try {
        sock = server.accept();
      } catch (IOException e) {
        if (!closing) {
          LOG.log(System.Logger.Level.WARNING, "admin socket: accept failed: {0}", e.toString());
        }
        return;
      }
      try {
        admit(sock);
      } catch (IOException | RuntimeException e) {
        LOG.log(System.Logger.Level.WARNING, "admin socket: connection dropped: {0}", e.toString());
        closeQuietly(sock);
      }
    }
  }

  private void admit(AFUNIXSocket sock) throws IOException {
    AFUNIXSocketCredentials creds = sock.getPeerCredentials();
    long uid = creds == null ? -1 : creds.getUid();
    long pid = creds == null ? -1 : creds.getPid();
    if (uid < 0 || !settings.allowedUid().test(uid)) {
      refusals.refused(
          "refused a connection from uid "
              + Long.toString(uid)
              + " (pid "
              + Long.toString(pid)
              + "): only the node's user and root may use it",
          System.nanoTime());
      refuse(
          sock,
          AdminErrorCode.FORBIDDEN,
          "uid " + Long.toString(uid) + " may not use this node's admin socket");
      return;
    }
    AdminConnection c = new AdminConnection(sock, commands, settings, this);
    boolean busy;
    synchronized (connections) {
      busy = closing || connections.size() >= settings.maxConnections();
      if (!busy) {
        connections.add(c);
      }
    }
    if (busy) {
      refuse(
          sock,
          closing ? AdminErrorCode.SHUTTING_DOWN : AdminErrorCode.BUSY,
          closing
              ? "the node is stopping"
              : "all "
                  + settings.maxConnections()
                  + " admin connections are in use; try again when one has ended");
      return;
    }
    Thread t = new Thread(c, "blvm-admin-connection-" + counter.incrementAndGet());
    t.setDaemon(true);
    t.start();
  }

  void ended(AdminConnection c) {
    synchronized (connections) {
      connections.remove(c);
      connections.notifyAll();
    }
  }

  private static void refuse(AFUNIXSocket sock, AdminErrorCode code, String message) {
    try (sock) {
      OutputStream out = sock.getOutputStream();
      out.write(AdminResponse.error(new AdminException(code, message)).encode());
      out.flush();
    } catch (IOException e) {
      // the peer left already
    }
  }

  /**
   * Stops accepting, lets streams end with {@code SHUTTING_DOWN} (each notices within its poll),
   * waits up to 2 s for connections, closes what is left and removes the socket file.
   */
  @Override
  public void close() {
    closing = true;
    try {
      server.close();
    } catch (IOException e) {
      LOG.log(System.Logger.Level.DEBUG, "closing the admin socket: {0}", e.toString());
    }
    long deadline = System.nanoTime() + 2_000_000_000L;
    List<AdminConnection> left;
    synchronized (connections) {
      long wait;
      while (!connections.isEmpty() && (wait = deadline - System.nanoTime()) > 0) {
        try {
          connections.wait(Math.max(1, wait / 1_000_000));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        }
      }
      left = new ArrayList<>(connections);
    }
    left.forEach(AdminConnection::close);
    try {
      Files.deleteIfExists(socket);
    } catch (IOException e) {
      LOG.log(System.Logger.Level.WARNING, "cannot remove {0}: {1}", socket, e.toString());
    }
  }

  /** The uid this process runs as (the owner of /proc/self). */
  static long ownUid() throws IOException {
    return ((Number) Files.getAttribute(Path.of("/proc/self"), "unix:uid")).longValue();
  }

  private static void privateDir(Path dir) throws IOException {
    if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
      Path parent = dir.getParent();
      if (parent == null || !Files.isDirectory(parent)) {
        throw new IOException(
            "cannot make the admin socket directory " + dir + ": " + parent + " does not exist");
      }
      Files.createDirectory(
          dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      return;
    }
    if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
      throw new IOException(
          "the admin socket directory " + dir + " is not a directory (or is a symbolic link)");
    }
    long owner =
        ((Number) Files.getAttribute(dir, "unix:uid", LinkOption.NOFOLLOW_LINKS)).longValue();
    Set<PosixFilePermission> perms = Files.getPosixFilePermissions(dir, LinkOption.NOFOLLOW_LINKS);
    boolean open = false;
    for (PosixFilePermission p : perms) {
      open |= p.name().startsWith("GROUP") || p.name().startsWith("OTHERS");
    }
    if (owner != ownUid() || open) {
      throw new IOException(
          "the admin socket directory "
              + dir
              + " is owned by uid "
              + Long.toString(owner)
              + " with mode "
              + PosixFilePermissions.toString(perms)
              + "; it must be this node's own (uid "
              + Long.toString(ownUid())
              + ") and rwx------ so that no one else reaches the socket: choose a new directory"
              + " (the node creates it) or fix this one");
    }
  }

  private static void removeStale(Path path) throws IOException {
    if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    if (!Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS)
        .isOther()) {
      throw new IOException(
          path + " exists and is not a socket; the admin socket will not replace it");
    }
    try (AFUNIXSocket probe = AFUNIXSocket.newInstance()) {
      probe.connect(AFUNIXSocketAddress.of(path.toFile()));
      throw new IOException("another node is listening on the admin socket " + path);
    } catch (java.net.SocketException e) {
      Files.delete(path); // nothing listens: left over from a node that ended
    }
  }

  private static void closeQuietly(AFUNIXSocket s) {
    try {
      s.close();
    } catch (IOException e) {
      // closing anyway
    }
  }
}
