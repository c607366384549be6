package org.blvm.loader;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.blvm.policy.ConnectRule;
import org.blvm.protocol.Api;
import org.blvm.protocol.Capability;
import org.blvm.protocol.ErrorCode;
import org.blvm.protocol.ErrorValue;
import org.blvm.protocol.Message;
import org.blvm.protocol.NetAddress;

/**
 * The privileged half of a module's network: {@code net_connect} and {@code net_listen}. A connect
 * is checked against the module's rules and limits on its reader thread; the name is then resolved
 * on {@code blvm-net-resolve-N} (bounded by the resolve timeout: a resolution that hangs is
 * interrupted at the timeout and never holds up the module's reader or another request), every
 * address it resolved to is judged ({@link AddressClass}: only a rule naming an address literally
 * reaches loopback, private, metadata …), and the socket is connected, with a deadline, on {@code
 * blvm-net-connect-N} to an address that was checked (the name is never resolved a second time).
 * The connected socket goes back as the answer's descriptor. Every attempt is audited with the
 * host, the addresses and the rule. The answer may complete after later requests of the same
 * module, like {@code call_module}.
 *
 * <p>Over 400 lines: one request's whole path (rule, limits, resolution, address check, connect,
 * answer), kept in one file so that every refusal and its audit line are read together.
 */
final class NetworkBroker implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger("blvm.loader.network");

  /** Resolves a host name to its addresses; the system resolver unless a test injects one. */
  @FunctionalInterface
  interface Resolver {
    List<InetAddress> resolve(String host) throws UnknownHostException;

    /** The JDK's resolver (the host's resolv.conf, hosts file and NSS). */
    static Resolver system() {
      return host -> List.of(InetAddress.getAllByName(host));
    }
  }

  /** Most addresses of one name that are tried. */
  private static final int MAX_ATTEMPTS = 4;

  private final AuditLog audit;
  private final Resolver resolver;
  private final long resolveTimeoutMs;
  private final long connectTimeoutMs;
  private final ThreadPoolExecutor resolvers;
  private final ThreadPoolExecutor connectors;

  NetworkBroker(AuditLog audit, Resolver resolver, long resolveTimeoutMs, long connectTimeoutMs) {
    this.audit = audit;
    this.resolver = resolver;
    this.resolveTimeoutMs = resolveTimeoutMs;
    this.connectTimeoutMs = connectTimeoutMs;
    this.resolvers = pool("blvm-net-resolve-", 4, 64);
    this.connectors = pool("blvm-net-connect-", 8, 256);
  }

  private static ThreadPoolExecutor pool(String prefix, int threads, int queue) {
    AtomicInteger n = new AtomicInteger();
    ThreadPoolExecutor p =
        new ThreadPoolExecutor(
            threads,
            threads,
            30,
            TimeUnit.SECONDS,
            new ArrayBlockingQueue<>(queue),
            r -> {
              Thread t = new Thread(r, prefix + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    p.allowCoreThreadTimeOut(true);
    return p;
  }

  @Override
  public void close() {
    resolvers.shutdownNow();
    connectors.shutdownNow();
  }

  // ------------------------------------------------------------------ net_connect

  /** Answers {@code net_connect}; runs on the module's reader thread and never blocks. */
  CompletableFuture<Reply> connect(Session caller, long id, Api.NetConnectParams p) {
    ModuleNetwork net = caller.network();
    Optional<InetAddress> literal = NetAddress.ipLiteral(p.host());
    String target =
        literal.map(a -> NetAddress.hostText(a, true)).orElse(p.host()) + ":" + p.port();
    Map<String, String> facts = facts("host", p.host(), "port", Integer.toString(p.port()));
    ConnectRule rule = net.rule(p.host(), literal, p.port());
    if (rule == null) {
      facts.put("reason", "no connect rule");
      String hint =
          net.policy().host()
              ? "; it shares the host's network (network = \"host\") and connects by itself"
              : "; to allow it, add \""
                  + target
                  + "\" to [modules."
                  + caller.id()
                  + ".network] connect";
      return deny(
          caller,
          id,
          "net_connect:" + target,
          facts,
          "module "
              + caller.id()
              + " may not connect to "
              + target
              + ": no connect rule allows it"
              + hint);
    }
    facts.put("rule", rule.toString());
    if (!net.tryConnectToken()) {
      return limited(
          caller,
          id,
          target,
          facts,
          "connects_per_second",
          "is over its connects_per_second of "
              + net.policy().connectsPerSecond()
              + "; retry later");
    }
    if (!net.reserve()) {
      return limited(
          caller,
          id,
          target,
          facts,
          "max_sockets",
          "holds " + net.inUse() + " brokered connections, its max_sockets; close one first");
    }
    CompletableFuture<List<InetAddress>> resolved;
    try {
      resolved =
          literal.isPresent()
              ? CompletableFuture.completedFuture(List.of(literal.get()))
              : resolveBounded(p.host());
    } catch (RejectedExecutionException e) {
      return done(busy(caller, id, target, facts));
    }
    // completed by exactly one path: the connector's answer, or busy when none can take it
    CompletableFuture<Reply> answer = new CompletableFuture<>();
    resolved.whenComplete(
        (addresses, err) -> {
          try {
            connectors.execute(
                () ->
                    answer.complete(
                        finishSafely(caller, id, p, target, rule, facts, addresses, err)));
          } catch (RejectedExecutionException e) {
            answer.complete(busy(caller, id, target, facts));
          }
        });
    return answer;
  }

  /** Over one of the module's network limits ({@code limit}): audited, RATE_LIMITED. */
  private CompletableFuture<Reply> limited(
      Session caller,
      long id,
      String target,
      Map<String, String> facts,
      String limit,
      String message) {
    facts.put("reason", limit);
    audit.record(caller.id(), "net_connect:" + target, capability(), "rate_limited", facts);
    return done(error(id, ErrorCode.RATE_LIMITED, "module " + caller.id() + " " + message));
  }

  /** No thread can take the request (the node is busy or closing): UNAVAILABLE. */
  private Reply busy(Session caller, long id, String target, Map<String, String> facts) {
    caller.network().released();
    facts.put("reason", "node busy");
    audit.record(caller.id(), "net_connect:" + target, capability(), "failed", facts);
    return Reply.of(
        error(
            id,
            ErrorCode.UNAVAILABLE,
            "the node has too many connections in progress; retry later"));
  }

  /** {@link #finish}, and an INTERNAL answer (with the reservation given back) should it throw. */
  private Reply finishSafely(
      Session caller,
      long id,
      Api.NetConnectParams p,
      String target,
      ConnectRule rule,
      Map<String, String> facts,
      List<InetAddress> addresses,
      Throwable err) {
    try {
      return finish(caller, id, p, target, rule, facts, addresses, err);
    } catch (RuntimeException e) {
      caller.network().released();
      LOG.log(
          System.Logger.Level.ERROR,
          "module " + caller.id() + ": net_connect failed in the node",
          e);
      return Reply.of(error(id, ErrorCode.INTERNAL, "net_connect failed inside the node"));
    }
  }

  /**
   * Resolves {@code host} on a resolver thread; the future fails with a {@link TimeoutException}
   * after the resolve timeout, and the resolution is then cancelled with an interrupt: a resolver
   * that honours interrupts gives its thread back at once, one still queued never runs. (The JDK's
   * resolver does not: its thread stays busy until the system resolver gives up, within the timeout
   * and attempts of the host's resolv.conf.)
   *
   * @throws RejectedExecutionException when every resolver thread is busy and the queue is full
   */
  private CompletableFuture<List<InetAddress>> resolveBounded(String host) {
    CompletableFuture<List<InetAddress>> resolved = new CompletableFuture<>();
    Future<?> task =
        resolvers.submit(
            () -> {
              try {
                resolved.complete(resolver.resolve(host));
              } catch (UnknownHostException | RuntimeException e) {
                resolved.completeExceptionally(e);
              }
            });
    resolved
        .orTimeout(resolveTimeoutMs, TimeUnit.MILLISECONDS)
        .whenComplete(
            (addresses, err) -> {
              if (err instanceof TimeoutException) {
                task.cancel(true);
              }
            });
    return resolved;
  }

  /** On a connector thread: judge the resolved addresses, connect, answer. */
  private Reply finish(
      Session caller,
      long id,
      Api.NetConnectParams p,
      String target,
      ConnectRule rule,
      Map<String, String> facts,
      List<InetAddress> addresses,
      Throwable err) {
    ModuleNetwork net = caller.network();
    String what = "net_connect:" + target;
    if (err != null) {
      net.released();
      Throwable cause =
          err instanceof CompletionException && err.getCause() != null ? err.getCause() : err;
      ErrorValue e;
      if (cause instanceof TimeoutException) {
        facts.put("reason", "resolution timed out");
        e =
            ErrorValue.of(
                ErrorCode.TIMEOUT,
                "resolving " + p.host() + " took longer than " + resolveTimeoutMs + " ms");
      } else if (cause instanceof UnknownHostException) {
        facts.put("reason", "no such host");
        e = ErrorValue.of(ErrorCode.NOT_FOUND, "cannot resolve " + p.host() + ": no such host");
      } else {
        facts.put("reason", "resolution failed");
        LOG.log(System.Logger.Level.WARNING, "resolving " + p.host() + " failed", cause);
        e = ErrorValue.of(ErrorCode.UNAVAILABLE, "resolving " + p.host() + " failed");
      }
      audit.record(caller.id(), what, capability(), "failed", facts);
      return Reply.of(Message.Response.error(id, e));
    }
    List<InetAddress> allowed = new ArrayList<>();
    List<String> refusals = new ArrayList<>();
    for (InetAddress a : addresses) {
      Optional<String> why = rule.namesLiteral(a) ? Optional.empty() : AddressClass.refused(a);
      if (why.isPresent()) {
        refusals.add(NetAddress.hostText(a, false) + ", " + why.get());
      } else if (allowed.size() < MAX_ATTEMPTS) {
        allowed.add(a);
      }
    }
    facts.put("addresses", joined(addresses));
    if (allowed.isEmpty()) {
      net.released();
      facts.put("reason", refusals.isEmpty() ? "no address" : String.join("; ", refusals));
      if (refusals.isEmpty()) {
        audit.record(caller.id(), what, capability(), "failed", facts);
        return Reply.of(
            Message.Response.error(
                id,
                ErrorValue.of(ErrorCode.NOT_FOUND, "cannot resolve " + p.host() + ": no address")));
      }
      audit.record(caller.id(), what, capability(), "denied", facts);
      caller.countDenied(Capability.NETWORK_CONNECT);
      InetAddress first = addresses.get(0);
      return Reply.of(
          Message.Response.error(
              id,
              ErrorValue.notCapable(
                  Capability.NETWORK_CONNECT,
                  p.host()
                      + " resolved to "
                      + String.join("; ", refusals)
                      + ": a host name may not reach such an address; only a rule naming it"
                      + " literally does (\""
                      + NetAddress.hostText(first, true)
                      + ":"
                      + p.port()
                      + "\" in [modules."
                      + caller.id()
                      + ".network] connect)")));
    }
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(connectTimeoutMs);
    NetSyscalls.SyscallException last = null;
    InetAddress lastAddress = allowed.get(0);
    for (int i = 0; i < allowed.size(); i++) {
      InetAddress a = allowed.get(i);
      long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
      if (left <= 0) {
        break;
      }
      int fd = -1;
      try {
        fd = NetSyscalls.tcpSocket(a);
        NetSyscalls.connect(fd, a, p.port(), Math.max(1, left / (allowed.size() - i)));
      } catch (NetSyscalls.SyscallException e) {
        NetSyscalls.closeQuietly(fd);
        last = e;
        lastAddress = a;
        continue;
      }
      net.connected(SocketTable.inodeOf(fd));
      String address = NetAddress.hostText(a, false);
      facts.put("address", address);
      audit.record(caller.id(), what, capability(), "allowed", facts);
      return Reply.withDescriptor(
          id, new Api.NetConnected(address, p.port(), rule.toString()), new PassedDescriptor(fd));
    }
    net.released();
    String at = NetAddress.hostText(lastAddress, true) + ":" + p.port();
    boolean timedOut =
        last == null || last.errno() == NetSyscalls.EINPROGRESS || last.errno() == 110; // ETIMEDOUT
    facts.put("address", NetAddress.hostText(lastAddress, false));
    facts.put("reason", last == null ? "timed out" : last.getMessage());
    audit.record(caller.id(), what, capability(), "failed", facts);
    ErrorValue e =
        timedOut
            ? ErrorValue.of(
                ErrorCode.TIMEOUT,
                "connecting to " + at + " took longer than " + connectTimeoutMs + " ms")
            : ErrorValue.of(
                ErrorCode.UNAVAILABLE,
                "connecting to " + at + " failed: " + NetSyscalls.describe(last.errno()));
    return Reply.of(Message.Response.error(id, e));
  }

  // ------------------------------------------------------------------ net_listen

  /** Answers {@code net_listen} with a descriptor of the socket bound at the module's start. */
  CompletableFuture<Reply> listen(Session caller, long id, Api.NetListenParams p) {
    NetAddress.Endpoint e = NetAddress.parseEndpoint(p.address());
    Map<String, String> facts = facts("address", e.toString());
    PassedDescriptor d;
    try {
      d = caller.network().listener(e);
    } catch (NetSyscalls.SyscallException ex) {
      facts.put("reason", ex.getMessage());
      audit.record(
          caller.id(), "net_listen:" + e, Capability.NETWORK_LISTEN.wireName(), "failed", facts);
      return done(
          error(id, ErrorCode.UNAVAILABLE, "cannot hand over " + e + ": " + ex.getMessage()));
    }
    if (d == null) {
      facts.put("reason", "not a listen address");
      audit.record(
          caller.id(), "net_listen:" + e, Capability.NETWORK_LISTEN.wireName(), "denied", facts);
      caller.countDenied(Capability.NETWORK_LISTEN);
      return done(
          Message.Response.error(
              id,
              ErrorValue.notCapable(
                  Capability.NETWORK_LISTEN,
                  "module "
                      + caller.id()
                      + " has no listening socket at "
                      + e
                      + "; to bind one at its start, add \""
                      + e
                      + "\" to [modules."
                      + caller.id()
                      + ".network] listen")));
    }
    audit.record(
        caller.id(), "net_listen:" + e, Capability.NETWORK_LISTEN.wireName(), "allowed", facts);
    return done(
        Reply.withDescriptor(
            id, new Api.NetListening(NetAddress.hostText(e.address(), false), e.port()), d));
  }

  // ------------------------------------------------------------------ helpers

  private CompletableFuture<Reply> deny(
      Session caller, long id, String what, Map<String, String> facts, String message) {
    audit.record(caller.id(), what, capability(), "denied", facts);
    caller.countDenied(Capability.NETWORK_CONNECT);
    return done(
        Message.Response.error(id, ErrorValue.notCapable(Capability.NETWORK_CONNECT, message)));
  }

  private static String capability() {
    return Capability.NETWORK_CONNECT.wireName();
  }

  private static Map<String, String> facts(String... kv) {
    Map<String, String> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put(kv[i], kv[i + 1]);
    }
    return m;
  }

  private static String joined(List<InetAddress> addresses) {
    List<String> s = new ArrayList<>();
    for (InetAddress a : addresses) {
      s.add(NetAddress.hostText(a, false));
    }
    return String.join(",", s);
  }

  private static CompletableFuture<Reply> done(Message.Response r) {
    return CompletableFuture.completedFuture(Reply.of(r));
  }

  private static CompletableFuture<Reply> done(Reply r) {
    return CompletableFuture.completedFuture(r);
  }

  private static Message.Response error(long id, ErrorCode code, String message) {
    return Message.Response.error(id, ErrorValue.of(code, message));
  }
}
