package org.blvm.loader;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import java.io.IOException;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.blvm.policy.ConnectRule;
import org.blvm.policy.NetworkPolicy;
import org.blvm.policy.RateLimit;
import org.blvm.protocol.NetAddress;

/**
 * One launch's brokered network: the listening sockets the loader bound for it at start (closed
 * when the module stops), the connections it was handed and still holds ({@code max_sockets}), and
 * its {@code connects_per_second} bucket. Its monitor guards the listeners, the counts and the
 * closed flag; it is held for a {@code dup} or {@code close} of a listener, never for a connect or
 * a read of the kernel's socket tables.
 */
final class ModuleNetwork {
  private static final System.Logger LOG = System.getLogger("blvm.loader.network");

  /** Backlog of each listening socket. */
  static final int BACKLOG = 128;

  private final String moduleId;
  private final NetworkPolicy policy;
  private final Ticker ticker;
  private final TokenBucket connects;

  @GuardedBy("this")
  private final Map<NetAddress.Endpoint, Integer> listeners = new LinkedHashMap<>();

  /** Inodes of handed-over connections not yet seen closed. */
  @GuardedBy("this")
  private final Set<Long> held = new HashSet<>();

  /** Connects admitted and not yet finished. */
  @GuardedBy("this")
  private int pending;

  /** Stands in for a connection whose inode could not be read (counted until the next look). */
  @GuardedBy("this")
  private long unknownInode = -1;

  @GuardedBy("this")
  private boolean closed;

  ModuleNetwork(String moduleId, NetworkPolicy policy, Ticker ticker) {
    this.moduleId = moduleId;
    this.policy = policy;
    this.ticker = ticker;
    int perSecond = policy.connectsPerSecond();
    this.connects = TokenBucket.of(new RateLimit(perSecond, perSecond), ticker.nanoTime());
  }

  NetworkPolicy policy() {
    return policy;
  }

  /** The first connect rule that allows the request, or null. */
  ConnectRule rule(String host, java.util.Optional<java.net.InetAddress> literal, int port) {
    for (ConnectRule r : policy.connect()) {
      if (r.matches(host, literal, port)) {
        return r;
      }
    }
    return null;
  }

  // ------------------------------------------------------------------ listening

  /**
   * Binds every {@code listen} address of the policy (as the loader: a port below 1024 needs the
   * loader's privilege, never the module's). Nothing stays bound when one fails.
   *
   * @throws IOException naming the address and why it cannot be bound
   */
  void bindListeners() throws IOException {
    for (NetAddress.Endpoint e : policy.listen()) {
      int fd = -1;
      try {
        fd = NetSyscalls.tcpSocket(e.address());
        NetSyscalls.bindAndListen(fd, e.address(), e.port(), BACKLOG);
      } catch (NetSyscalls.SyscallException ex) {
        NetSyscalls.closeQuietly(fd);
        close();
        throw new IOException(
            "cannot listen on "
                + e
                + " for module "
                + moduleId
                + " ([modules."
                + moduleId
                + ".network] listen): "
                + ex.getMessage(),
            ex);
      }
      synchronized (this) {
        if (closed) {
          NetSyscalls.closeQuietly(fd);
          throw new IOException("module " + moduleId + " stopped while its sockets were bound");
        }
        listeners.put(e, fd);
      }
      LOG.log(System.Logger.Level.INFO, "module {0}: listening on {1}", moduleId, e.toString());
    }
  }

  /**
   * A new descriptor for the listening socket bound at {@code e} (the caller hands it over and
   * closes it), or null when {@code e} is not one of this module's listen addresses.
   */
  synchronized PassedDescriptor listener(NetAddress.Endpoint e)
      throws NetSyscalls.SyscallException {
    for (Map.Entry<NetAddress.Endpoint, Integer> l : listeners.entrySet()) {
      if (l.getKey().port() == e.port()
          && NetAddress.sameAddress(l.getKey().address(), e.address())) {
        return new PassedDescriptor(NetSyscalls.duplicate(l.getValue()));
      }
    }
    return null;
  }

  /** Closes the listening sockets (the module stopped); later connects are not counted. */
  void close() {
    Map<NetAddress.Endpoint, Integer> toClose;
    synchronized (this) {
      closed = true;
      toClose = new LinkedHashMap<>(listeners);
      listeners.clear();
    }
    toClose.values().forEach(NetSyscalls::closeQuietly);
  }

  // ------------------------------------------------------------------ connecting

  /** Takes a connect token; false when the module is over {@code connects_per_second}. */
  boolean tryConnectToken() {
    return connects.tryTake(ticker.nanoTime());
  }

  /**
   * Reserves room for one more connection: false when the module holds {@code max_sockets}
   * (connections it was handed and has not closed, plus connects in progress). At the limit the
   * kernel's socket tables are read (outside the monitor) to forget connections closed meanwhile.
   */
  boolean reserve() {
    if (tryReserve()) {
      return true;
    }
    Set<Long> alive = SocketTable.heldInodes();
    if (alive == null) {
      LOG.log(
          System.Logger.Level.WARNING,
          "module {0}: cannot read the kernel''s socket tables; its connections count as open",
          moduleId);
      return false;
    }
    synchronized (this) {
      held.retainAll(alive);
    }
    return tryReserve();
  }

  private synchronized boolean tryReserve() {
    if (pending + held.size() >= policy.maxSockets()) {
      return false;
    }
    pending++;
    return true;
  }

  /** A reserved connect ended without a connection. */
  synchronized void released() {
    pending--;
  }

  /** A reserved connect produced the socket with this inode (-1: unknown). */
  synchronized void connected(long inode) {
    pending--;
    held.add(inode >= 0 ? inode : unknownInode--);
  }

  /** Connections handed over and not known to be closed, plus connects in progress. */
  synchronized int inUse() {
    return pending + held.size();
  }
}
