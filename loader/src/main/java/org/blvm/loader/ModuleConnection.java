package org.blvm.loader;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.errorprone.annotations.concurrent.GuardedBy;
import java.util.concurrent.CompletableFuture;
import org.blvm.protocol.ErrorCode;
import org.blvm.protocol.ErrorValue;
import org.blvm.protocol.Message;
import org.blvm.protocol.SharedEvent;
import org.newsclub.net.unix.AFUNIXSocket;

/**
 * The connection side of one launch of a module ({@link LoadedModule}): the endpoint's {@link
 * Endpoint.Gate} (a connection is admitted while the module runs, has none, and its token is
 * unused), the current {@link Connection}'s {@link ConnectionListener}, and events and invokes sent
 * over it. Its monitor guards the current connection; it is never held across I/O or a call into
 * another module.
 */
final class ModuleConnection implements ConnectionListener, Endpoint.Gate {
  private static final System.Logger LOG = System.getLogger("blvm.loader.module");

  /** How long a dropped connection waits for the process exit that may have caused it. */
  private static final long EXIT_RACE_MS = 500;

  private final LoadedModule module;
  private final String id;
  private final LoadedModule.Services services;
  private final ModuleHost host;
  private final Endpoint endpoint;
  private final Handshake handshake;
  private final Session session;
  private final ModuleCounters counters;
  private final String dataDir;

  @GuardedBy("this")
  private Connection connection;

  ModuleConnection(
      LoadedModule module,
      LoadedModule.Services services,
      Endpoint endpoint,
      Handshake handshake,
      Session session,
      ModuleCounters counters) {
    this.module = module;
    this.id = module.id();
    this.services = services;
    this.host = module.host();
    this.endpoint = endpoint;
    this.handshake = handshake;
    this.session = session;
    this.counters = counters;
    this.dataDir = module.dataDir().toString();
  }

  /** The current connection; null before the first one. */
  synchronized Connection current() {
    return connection;
  }

  @Override
  public void precheck() throws Endpoint.Refused {
    synchronized (this) {
      refuseIfClosedToConnections();
    }
  }

  @Override
  public Connection admit(AFUNIXSocket sock, long pid, Message.Hello hello)
      throws Endpoint.Refused {
    Connection conn;
    synchronized (this) {
      refuseIfClosedToConnections();
      Handshake.Refusal refusal = handshake.check(hello);
      if (refusal != null) {
        throw new Endpoint.Refused(
            refusal.code(),
            refusal.code() == ErrorCode.UNAUTHENTICATED
                ? refusal.message() + " from pid " + Long.toString(pid)
                : refusal.message());
      }
      conn =
          new Connection(
              id,
              sock,
              pid,
              services.codec(),
              services.config(),
              session.policy().eventOverflow(),
              services.relay(),
              this,
              counters);
      if (!endpoint.register(conn, why -> conn.closeWith(ErrorCode.SHUTDOWN, why))) {
        throw new Endpoint.Refused(ErrorCode.UNAUTHENTICATED, "module " + id + " is stopping");
      }
      conn.markAuthenticated();
      connection = conn;
    }
    // queued before the connection's threads start: nothing is written ahead of it
    conn.send(
        handshake.welcome(
            session,
            services.listener().contextConfig(session),
            dataDir,
            module.moduleSocketPath()));
    host.transition(ModuleState.INITIALIZED, null, ModuleState.LOADED);
    return conn;
  }

  @Override
  public void protocolViolation() {
    counters.protocolError();
  }

  @Override
  public void misbehaving(String why) {
    module.fail(why, null);
    module.killProcess();
  }

  @GuardedBy("this")
  private void refuseIfClosedToConnections() throws Endpoint.Refused {
    assert Thread.holdsLock(this);
    ModuleState state = host.state();
    if (!state.isLive()) {
      throw new Endpoint.Refused(ErrorCode.UNAUTHENTICATED, "module " + id + " is " + state);
    }
    if (connection != null && connection.isOpen()) {
      throw new Endpoint.Refused(
          ErrorCode.UNAUTHENTICATED, "module " + id + " is already connected");
    }
    if (handshake.tokenUsed()) {
      throw new Endpoint.Refused(
          ErrorCode.UNAUTHENTICATED, "module " + id + "'s launch token was already used");
    }
  }

  /**
   * Counts, dispatches and answers one request. A dispatch that is already complete (every NodeAPI
   * method but {@code call_module}) is answered here on the connection's reader thread, without a
   * completion stage; a later one is answered by the thread that completes it.
   */
  @Override
  public void onRequest(Connection conn, Message.Request req) {
    session.countCall();
    int row = ModuleCounters.row(req.method()); // the one lookup of the method per request
    CompletableFuture<Reply> dispatched = services.dispatcher().dispatch(session, req, row);
    if (dispatched.isDone() && !dispatched.isCompletedExceptionally()) {
      answer(conn, req, row, dispatched.join());
    } else {
      dispatched.whenComplete(
          (reply, err) -> answer(conn, req, row, err == null ? reply : failed(req, err)));
    }
  }

  private Reply failed(Message.Request req, Throwable err) {
    LOG.log(System.Logger.Level.ERROR, "module " + id + ": dispatch failed", err);
    return Reply.of(
        Message.Response.error(
            req.id(), ErrorValue.of(ErrorCode.INTERNAL, "internal error in the node")));
  }

  /** Counts and sends {@code reply}; a failure is logged and leaves the connection as it is. */
  private void answer(Connection conn, Message.Request req, int row, Reply reply) {
    try {
      counters.call(row, reply.isError() ? reply.response().error() : null);
      conn.sendResponse(reply);
      if (reply.afterSent() != null) {
        reply.afterSent().run();
      }
    } catch (RuntimeException e) {
      LOG.log(
          System.Logger.Level.ERROR, "module " + id + ": answering " + req.method() + " failed", e);
    }
  }

  @Override
  public void onLog(Message.Log line) {
    services.listener().log(id, line);
  }

  @Override
  public void onProtocolViolation(Connection c) {
    counters.protocolError();
  }

  @Override
  public void onEventsDropped(long n) {
    counters.eventsDropped(n);
  }

  @Override
  public void onQueueOverflow() {
    counters.overflow();
  }

  @Override
  public void onEnded(Connection conn) {
    endpoint.unregister(conn);
    boolean wasCurrent;
    synchronized (this) {
      wasCurrent = conn == connection;
    }
    LaunchedProcess p = module.process(); // set before accepting started
    if (!wasCurrent || !conn.isAuthenticated() || !host.state().isLive()) {
      return;
    }
    // A process that is exiting closes its socket first: give the exit a moment to be seen, so the
    // module is reported as crashed with its exit status rather than as disconnected.
    if (p != null && waitExit(p, EXIT_RACE_MS)) {
      return;
    }
    // The token is one-time: a module that lost its connection cannot come back, so end it.
    module.fail("connection lost: " + conn.closeReason(), null);
    if (p != null) {
      p.kill();
    }
  }

  /** Whether an event of this type would be delivered now: connected and subscribed. */
  boolean wouldDeliver(String type) {
    Connection c = current();
    return c != null && c.isOpen() && c.isAuthenticated() && session.isSubscribed(type);
  }

  /** Delivers an event if this module is connected and subscribed. */
  boolean deliver(SharedEvent event) {
    Connection c = current();
    return c != null
        && c.isAuthenticated()
        && session.isSubscribed(event.type())
        && c.sendEvent(event);
  }

  /** Tells the connected module {@code n} events were dropped before they could be queued. */
  void skipEvents(long n) {
    Connection c = current();
    if (c != null) {
      c.skipEvents(n);
    }
  }

  /** Invokes a method the module serves (call_module, lifecycle). */
  CompletableFuture<Message.Response> invoke(String method, JsonNode params, String caller) {
    Connection c;
    synchronized (this) {
      c = connection;
    }
    if (c == null || !c.isAuthenticated() || !host.state().isLive()) {
      return CompletableFuture.completedFuture(
          Message.Response.error(
              0, ErrorValue.of(ErrorCode.UNAVAILABLE, "module " + id + " is not running")));
    }
    return c.invoke(method, params, caller, services.config().callTimeoutMs());
  }

  private static boolean waitExit(LaunchedProcess p, long ms) {
    return ProcessStop.waitExit(p.onExit(), ms);
  }
}
