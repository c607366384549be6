package org.blvm.loader;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.blvm.policy.AdmittedModule;
import org.blvm.policy.ModuleManifest;
import org.blvm.policy.ModulePolicy;
import org.blvm.protocol.Capability;
import org.blvm.protocol.Codec;
import org.blvm.protocol.ErrorCode;
import org.blvm.protocol.ErrorValue;
import org.blvm.protocol.EventPayloads;
import org.blvm.protocol.EventType;
import org.blvm.protocol.Message;
import org.blvm.protocol.ModuleContext;
import org.blvm.protocol.SharedEvent;
import org.newsclub.net.unix.AFUNIXServerSocket;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;
import org.newsclub.net.unix.AFUNIXSocketCredentials;

/**
 * One module: its manifest, directories, listening socket, process, connection and state. The
 * slot's monitor guards state, detail, process and connection; it is never held across I/O or a
 * call into another module.
 */
final class ModuleSlot {
  private static final System.Logger LOG = System.getLogger("blvm.loader.module");
  static final String SOCKET_NAME = "module.sock";

  /** sun_path holds 108 bytes including the terminating NUL. */
  private static final int MAX_SOCKET_PATH_BYTES = 107;

  /** How long a dropped connection waits for the process exit that may have caused it. */
  private static final long EXIT_RACE_MS = 500;

  private final ModuleManager manager;
  private final String id;
  private final ModuleManifest manifest;
  private final Set<Capability> granted;
  private final ModulePolicy policy;
  private final TokenBucket requests;
  private final Path moduleDir;
  private final Path binary;
  private final Path socketDir;
  private final Path dataDir;
  private final LoaderConfig config;
  private final Codec codec;
  private final byte[] token;

  private final Set<String> subscriptions = ConcurrentHashMap.newKeySet();
  private final Set<String> served = ConcurrentHashMap.newKeySet();
  private final Map<String, Double> metrics = new ConcurrentHashMap<>();
  private final AtomicLong protocolErrors = new AtomicLong();
  private final AtomicLong denied = new AtomicLong();
  private final AtomicLong overflows = new AtomicLong();
  private final AtomicLong droppedEvents = new AtomicLong();
  private final AtomicLong rateLimited = new AtomicLong();

  // guarded by this
  private ModuleState state = ModuleState.LOADED;
  private String detail;
  private LaunchedProcess process;
  private Connection connection;
  private boolean tokenUsed;
  private AFUNIXServerSocket server;
  private Thread acceptor;
  private long rateLimitedUnaudited;
  private boolean endpointsClosed;

  /** Guarded by this: the thread that closes the endpoints (see closeEndpoints). */
  private Thread endpointsCloser;

  private final java.util.concurrent.CountDownLatch endpointsDone =
      new java.util.concurrent.CountDownLatch(1);
  private long rateLimitAuditedAt;

  ModuleSlot(
      ModuleManager manager,
      AdmittedModule admitted,
      Path moduleDir,
      LoaderConfig config,
      Codec codec,
      byte[] token) {
    this.manager = manager;
    this.manifest = admitted.manifest();
    this.id = manifest.name();
    this.granted = Set.copyOf(admitted.grantedCapabilities());
    this.policy = admitted.modulePolicy();
    this.requests = TokenBucket.of(policy.rateLimit());
    this.moduleDir = moduleDir;
    this.binary = admitted.binaryPath();
    this.socketDir = config.runtimeDir().resolve(id);
    this.dataDir = config.dataDir().resolve(id);
    this.config = config;
    this.codec = codec;
    this.token = token.clone();
  }

  String id() {
    return id;
  }

  ModuleManifest manifest() {
    return manifest;
  }

  Set<Capability> granted() {
    return granted;
  }

  /** What the operator's policy says about this module. */
  ModulePolicy policy() {
    return policy;
  }

  ModulePolicy.EventOverflow eventOverflow() {
    return policy.eventOverflow();
  }

  /**
   * Takes one request token; false when the module is over its rate limit (which is counted).
   * Called only from the module's reader thread.
   */
  boolean tryRequest() {
    if (requests == null || requests.tryTake(System.nanoTime())) {
      return true;
    }
    rateLimited.incrementAndGet();
    return false;
  }

  /**
   * How many rate-limited requests the next audit line should stand for: all of them since the last
   * line, at most one line per second per module (0: no line due yet).
   */
  synchronized long rateLimitedToAudit(long nowNanos) {
    rateLimitedUnaudited++;
    if (rateLimitAuditedAt != 0 && nowNanos - rateLimitAuditedAt < 1_000_000_000L) {
      return 0;
    }
    rateLimitAuditedAt = nowNanos;
    long n = rateLimitedUnaudited;
    rateLimitedUnaudited = 0;
    return n;
  }

  long rateLimitedCalls() {
    return rateLimited.get();
  }

  Path socketPath() {
    return socketDir.resolve(SOCKET_NAME);
  }

  synchronized ModuleState state() {
    return state;
  }

  synchronized ModuleStatus status() {
    return new ModuleStatus(
        id,
        manifest.version(),
        state,
        process == null ? OptionalLong.empty() : OptionalLong.of(process.pid()),
        detail);
  }

  long protocolErrors() {
    return protocolErrors.get();
  }

  long deniedCalls() {
    return denied.get();
  }

  void countProtocolError() {
    protocolErrors.incrementAndGet();
  }

  void countDenied() {
    denied.incrementAndGet();
  }

  void countOverflow() {
    overflows.incrementAndGet();
  }

  void countDropped(long n) {
    droppedEvents.addAndGet(n);
  }

  long droppedEvents() {
    return droppedEvents.get();
  }

  long overflows() {
    return overflows.get();
  }

  Map<String, Double> metrics() {
    return Map.copyOf(metrics);
  }

  // ------------------------------------------------------------------ start

  /** Creates the private directories, binds the socket and launches the process. */
  void start(ModuleLauncher launcher) throws IOException {
    PrivateDirs.create(socketDir);
    PrivateDirs.create(dataDir);
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
    AFUNIXServerSocket s = AFUNIXServerSocket.newInstance();
    s.bind(AFUNIXSocketAddress.of(socket.toFile()));
    synchronized (this) {
      server = s;
    }

    LaunchSpec spec = launchSpec();
    LaunchedProcess p = launcher.launch(spec);
    // The socket is already listening, so an early connect waits in the backlog; accepting only
    // starts once the process is known, so the peer check never sees a half-started slot.
    Thread t = new Thread(this::acceptLoop, "blvm-" + id + "-accept");
    t.setDaemon(true);
    synchronized (this) {
      process = p;
      acceptor = t;
    }
    t.start();
    p.onExit().thenAccept(this::processExited);
    LOG.log(
        System.Logger.Level.INFO,
        "module {0} {1} launched, pid {2}",
        id,
        manifest.version(),
        p.pid());
  }

  private LaunchSpec launchSpec() {
    boolean java = manifest.runtime() == ModuleManifest.Runtime.JAVA;
    LimitResolver.Resolved r = LimitResolver.resolve(config.launchDefaults(), java, policy);
    // The admitted copy in the loader's store: a file swapped in the module directory after its
    // signature was checked is never run.
    LaunchSpec.Entry entry =
        java
            ? LaunchSpec.Entry.jvm(
                config.javaExecutable(), binary, manifest.mainClass(), r.jvmOptions())
            : LaunchSpec.Entry.nativeBinary(binary);
    return new LaunchSpec(
        id,
        entry,
        List.of(),
        socketDir,
        SOCKET_NAME,
        dataDir,
        List.of(moduleDir, binary),
        config.runtimeDir().resolve(id + ".out.log"),
        r.confinement(granted.contains(Capability.NETWORK_ACCESS)),
        new String(token, StandardCharsets.US_ASCII));
  }

  // ------------------------------------------------------------------ accept + authenticate

  private void acceptLoop() {
    AFUNIXServerSocket s;
    synchronized (this) {
      s = server;
    }
    while (!s.isClosed()) {
      AFUNIXSocket sock;
      try {
        sock = s.accept();
      } catch (IOException e) {
        if (!s.isClosed()) {
          LOG.log(
              System.Logger.Level.WARNING, "module {0}: accept failed: {1}", id, e.getMessage());
        }
        return;
      }
      try {
        accept(sock);
      } catch (IOException | RuntimeException e) {
        LOG.log(
            System.Logger.Level.WARNING, "module {0}: connection refused: {1}", id, e.toString());
        closeQuietly(sock);
      }
    }
  }

  private void accept(AFUNIXSocket sock) throws IOException {
    AFUNIXSocketCredentials creds = sock.getPeerCredentials();
    long pid = creds == null ? -1 : creds.getPid();
    long uid = creds == null ? -1 : creds.getUid();
    String refusal;
    Connection conn = null;
    synchronized (this) {
      if (process == null || pid <= 0 || !process.isPeer(pid)) {
        refusal = "peer pid " + pid + " (uid " + uid + ") is not module " + id + "'s process";
      } else if (!state.isLive()) {
        refusal = "module " + id + " is " + state;
      } else if (connection != null && connection.isOpen() && connection.isAuthenticated()) {
        refusal = "module " + id + " is already connected";
      } else if (tokenUsed) {
        refusal = "module " + id + "'s launch token was already used";
      } else {
        refusal = null;
        conn = new Connection(this, sock, pid, codec, config, manager.eventWaker());
        if (connection != null) {
          connection.terminate("replaced by a new connection before hello");
        }
        connection = conn;
      }
    }
    if (refusal != null) {
      LOG.log(System.Logger.Level.WARNING, "module {0}: refused connection: {1}", id, refusal);
      refuse(sock, refusal);
      return;
    }
    conn.start();
  }

  private void refuse(AFUNIXSocket sock, String reason) {
    try {
      writeFrame(sock, codec.encodeFrame(new Message.Close(ErrorCode.UNAUTHENTICATED, reason)));
    } finally {
      closeQuietly(sock);
    }
  }

  private static void writeFrame(AFUNIXSocket sock, byte[] frame) {
    try {
      sock.getOutputStream().write(frame);
      sock.getOutputStream().flush();
    } catch (IOException e) {
      // the peer is gone; nothing to tell it
    }
  }

  /** Checks the hello of the current connection; answers welcome or close. */
  boolean authenticate(Connection conn, Message.Hello hello) {
    byte[] presented = hello.token().getBytes(StandardCharsets.UTF_8);
    synchronized (this) {
      if (conn != connection) {
        conn.closeWith(ErrorCode.UNAUTHENTICATED, "connection was replaced");
        return false;
      }
      if (tokenUsed || !MessageDigest.isEqual(presented, token)) {
        LOG.log(
            System.Logger.Level.WARNING,
            "module {0}: wrong launch token from pid {1}",
            id,
            conn.peerPid());
        conn.closeWith(ErrorCode.UNAUTHENTICATED, "wrong launch token");
        return false;
      }
      if (!hello.versions().contains(Codec.PROTOCOL_VERSION)) {
        conn.closeWith(
            ErrorCode.UNSUPPORTED_VERSION,
            "node speaks protocol version "
                + Codec.PROTOCOL_VERSION
                + ", module offered "
                + hello.versions());
        return false;
      }
      tokenUsed = true;
      conn.markAuthenticated();
    }
    ModuleContext ctx =
        new ModuleContext(
            id,
            manager.contextConfig(this),
            dataDir.toString(),
            socketPath().toString(),
            new ArrayList<>(granted));
    conn.send(new Message.Welcome(Codec.PROTOCOL_VERSION, ctx));
    transition(ModuleState.INITIALIZED, null, ModuleState.LOADED);
    return true;
  }

  // ------------------------------------------------------------------ runtime

  void dispatch(Connection conn, Message.Request req) {
    manager
        .dispatcher()
        .dispatch(this, req)
        .whenComplete(
            (resp, err) -> {
              if (err != null) {
                LOG.log(System.Logger.Level.ERROR, "module " + id + ": dispatch failed", err);
                resp =
                    Reply.of(
                        Message.Response.error(
                            req.id(),
                            ErrorValue.of(ErrorCode.INTERNAL, "internal error in the node")));
              }
              conn.sendResponse(resp);
              manager.afterResponse(this, req, resp);
            });
  }

  void markReady() {
    transition(ModuleState.STARTED, null, ModuleState.INITIALIZED, ModuleState.SUBSCRIBED);
  }

  /** Adds subscriptions; returns all of them, or null when the bound would be exceeded. */
  Set<String> subscribe(Set<String> wanted, int max) {
    synchronized (this) {
      Set<String> all = new LinkedHashSet<>(subscriptions);
      all.addAll(wanted);
      if (all.size() > max) {
        return null;
      }
      subscriptions.addAll(wanted);
    }
    transition(ModuleState.SUBSCRIBED, null, ModuleState.INITIALIZED);
    return Collections.unmodifiableSet(new LinkedHashSet<>(subscriptions));
  }

  boolean isSubscribed(String type) {
    return subscriptions.contains(type);
  }

  void registerMethods(List<String> methods) {
    served.addAll(methods);
  }

  boolean serves(String method) {
    return served.contains(method);
  }

  List<String> servedMethods() {
    List<String> l = new ArrayList<>(served);
    Collections.sort(l);
    return l;
  }

  boolean reportMetric(String name, double value, int max) {
    if (!metrics.containsKey(name) && metrics.size() >= max) {
      return false;
    }
    metrics.put(name, value);
    return true;
  }

  void log(Message.Log l) {
    manager.logListener().onLog(id, l.level(), l.message());
  }

  /** Whether an event of this type would be delivered now: connected and subscribed. */
  boolean wouldDeliver(String type) {
    Connection c;
    synchronized (this) {
      c = connection;
    }
    return c != null && c.isOpen() && c.isAuthenticated() && subscriptions.contains(type);
  }

  /** Delivers an event if this module is connected and subscribed. */
  boolean deliver(SharedEvent event) {
    Connection c;
    synchronized (this) {
      c = connection;
    }
    return c != null
        && c.isAuthenticated()
        && subscriptions.contains(event.type())
        && c.sendEvent(event);
  }

  CompletableFuture<Message.Response> invoke(String method, JsonNode params, String caller) {
    Connection c;
    synchronized (this) {
      c = state.isLive() ? connection : null;
    }
    if (c == null || !c.isAuthenticated()) {
      return CompletableFuture.completedFuture(
          Message.Response.error(
              0, ErrorValue.of(ErrorCode.UNAVAILABLE, "module " + id + " is not running")));
    }
    return c.invoke(method, params, caller, config.callTimeoutMs());
  }

  // ------------------------------------------------------------------ ending

  void connectionEnded(Connection conn) {
    boolean wasCurrent;
    boolean live;
    synchronized (this) {
      wasCurrent = conn == connection;
      live = state.isLive();
    }
    if (wasCurrent && conn.isAuthenticated() && live) {
      LaunchedProcess p;
      synchronized (this) {
        p = process;
      }
      // A process that is exiting closes its socket first: give the exit a moment to be seen, so
      // the module is reported as crashed with its exit status rather than as disconnected.
      if (p != null && waitExit(p, EXIT_RACE_MS)) {
        return;
      }
      // The token is one-time: a module that lost its connection cannot come back, so end it.
      fail("connection lost: " + conn.closeReason(), null);
      if (p != null) {
        p.kill();
      }
    }
  }

  private void processExited(Integer status) {
    boolean crashed;
    LaunchedProcess p;
    synchronized (this) {
      crashed = state.isLive();
      p = process;
    }
    String output = p == null ? "" : p.lastOutput();
    if (crashed) {
      // the module's own last lines (e.g. bwrap's message for a failed exec) in the detail only
      fail(
          "process exited with status "
              + status
              + (output.isEmpty() ? "" : "; last output: " + output),
          status);
      manager.publishCore(
          EventType.ModuleCrashed,
          new EventPayloads.ModuleCrashed(id, status, "process exited with status " + status));
    } else {
      transition(ModuleState.STOPPED, "process exited with status " + status, ModuleState.STOPPING);
    }
    closeEndpoints("process ended");
  }

  /** A running module ended unexpectedly: FAILED, then the manager applies the restart rule. */
  private void fail(String why, Integer exitStatus) {
    LOG.log(System.Logger.Level.WARNING, "module {0} failed: {1}", id, why);
    boolean failed =
        transition(
            ModuleState.FAILED,
            why,
            ModuleState.LOADED,
            ModuleState.INITIALIZED,
            ModuleState.SUBSCRIBED,
            ModuleState.STARTED);
    if (failed) {
      manager.moduleFailed(this, exitStatus);
    }
  }

  Path moduleDir() {
    return moduleDir;
  }

  /** Adds to the status detail (e.g. why the module is not restarted). */
  synchronized void appendDetail(String more) {
    detail = detail == null ? more : detail + "; " + more;
  }

  /** Waits (bounded) for the process to end; true when it has. */
  boolean awaitExit(long ms) {
    LaunchedProcess p;
    synchronized (this) {
      p = process;
    }
    return p == null || waitExit(p, ms);
  }

  /**
   * Graceful stop: ask with an invoke, wait the grace period, SIGTERM, wait, SIGKILL. Returns once
   * the process has ended (or could not be ended, which is logged).
   */
  void stop(long graceMs) {
    LaunchedProcess p;
    synchronized (this) {
      p = process;
    }
    boolean asked =
        transition(
            ModuleState.STOPPING,
            "stop requested",
            ModuleState.LOADED,
            ModuleState.INITIALIZED,
            ModuleState.SUBSCRIBED,
            ModuleState.STARTED);
    if (p != null && asked) {
      Connection c;
      synchronized (this) {
        c = connection;
      }
      if (c != null && c.isAuthenticated()) {
        c.invoke("stop", codec.toTree(Map.of("grace_ms", graceMs)), null, graceMs);
      }
      if (!waitExit(p, graceMs)) {
        LOG.log(
            System.Logger.Level.WARNING,
            "module {0} did not exit within {1} ms of stop: SIGTERM",
            id,
            graceMs);
        p.terminate();
        if (!waitExit(p, 2000)) {
          LOG.log(System.Logger.Level.WARNING, "module {0} ignored SIGTERM: SIGKILL", id);
          p.kill();
          if (!waitExit(p, 5000)) {
            LOG.log(System.Logger.Level.ERROR, "module {0} pid {1} survived SIGKILL", id, p.pid());
          }
        }
      }
    }
    closeEndpoints("module stopped");
  }

  private static boolean waitExit(LaunchedProcess p, long ms) {
    try {
      p.onExit().get(ms, TimeUnit.MILLISECONDS);
      return true;
    } catch (TimeoutException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    } catch (java.util.concurrent.ExecutionException e) {
      return true;
    }
  }

  /**
   * Closes the connection and the listening socket, and removes the socket file. Once only (after a
   * restart the socket path belongs to the new slot); a second caller returns when the first has
   * finished (bounded), so that whoever stops the module (and the manager's {@code close()}) finds
   * the socket file gone, not about to go.
   */
  void closeEndpoints(String why) {
    Connection c;
    AFUNIXServerSocket s;
    boolean first;
    boolean mine;
    synchronized (this) {
      first = !endpointsClosed;
      if (first) {
        endpointsClosed = true;
        endpointsCloser = Thread.currentThread();
      }
      mine = endpointsCloser == Thread.currentThread();
      c = connection;
      s = server;
    }
    if (!first) {
      if (!mine) {
        awaitEndpointsClosed(); // outside the monitor: the closing thread may need it
      }
      return;
    }
    try {
      closeEndpointsNow(c, s, why);
    } finally {
      endpointsDone.countDown();
    }
  }

  /** Waits (at most 5 s) for the thread closing the endpoints to finish; never holds a lock. */
  private void awaitEndpointsClosed() {
    try {
      if (!endpointsDone.await(5, TimeUnit.SECONDS)) {
        LOG.log(System.Logger.Level.WARNING, "module {0}: endpoints still closing after 5 s", id);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void closeEndpointsNow(Connection c, AFUNIXServerSocket s, String why) {
    if (c != null) {
      c.closeWith(ErrorCode.SHUTDOWN, why);
    }
    if (s != null) {
      try {
        s.close();
      } catch (IOException e) {
        LOG.log(System.Logger.Level.DEBUG, "closing server socket of {0}: {1}", id, e);
      }
    }
    try {
      Files.deleteIfExists(socketPath());
    } catch (IOException e) {
      LOG.log(System.Logger.Level.DEBUG, "removing socket of {0}: {1}", id, e);
    }
  }

  void markUnloaded() {
    transition(ModuleState.UNLOADED, null, ModuleState.values());
  }

  /** Moves to {@code to} if the current state is one of {@code from}; publishes the change. */
  boolean transition(ModuleState to, String why, ModuleState... from) {
    ModuleState old;
    synchronized (this) {
      old = state;
      boolean allowed = false;
      for (ModuleState f : from) {
        allowed |= f == old;
      }
      if (!allowed || old == to) {
        return false;
      }
      state = to;
      if (why != null) {
        detail = why;
      }
      notifyAll();
    }
    manager.publishCore(
        EventType.ModuleStateChanged,
        new EventPayloads.ModuleStateChanged(id, old.name(), to.name()));
    return true;
  }

  /** Waits until the state is {@code wanted}; false on timeout or when it ended elsewhere. */
  synchronized boolean awaitState(ModuleState wanted, long timeoutMs) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
    while (state != wanted) {
      if (!state.isLive() && wanted.isLive()) {
        return false;
      }
      long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
      if (left <= 0) {
        return false;
      }
      wait(left);
    }
    return true;
  }

  synchronized Connection connection() {
    return connection;
  }

  private static void closeQuietly(AFUNIXSocket s) {
    try {
      s.close();
    } catch (IOException e) {
      // nothing to do
    }
  }
}
