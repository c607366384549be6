package org.blvm.sdk;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.NullNode;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import org.blvm.protocol.Api;
import org.blvm.protocol.Codec;
import org.blvm.protocol.ErrorCode;
import org.blvm.protocol.ErrorValue;
import org.blvm.protocol.EventPayloads;
import org.blvm.protocol.EventType;
import org.blvm.protocol.Frames;
import org.blvm.protocol.Message;
import org.blvm.protocol.ModuleContext;
import org.blvm.protocol.NodeMethod;
import org.blvm.protocol.ProtocolException;

/**
 * The one implementation of {@link ModuleClient}. Threads and locks (see package-info): whoever
 * holds {@link #readLock} reads frames from the (non-blocking) socket and routes them — normally
 * the reader {@code blvm-sdk-reader}, but a call made while no other call is waiting reads its own
 * answer ({@link #readOwnAnswer}), which saves the hand-off from the reader to the caller (a thread
 * wake-up). {@code blvm-sdk-events} runs event handlers in arrival order; {@code blvm-sdk-invoke-N}
 * run served methods and the stop hook; other concurrent callers spin briefly (bounded, adaptive:
 * {@link #spinBriefly}) and then block on a per-request future. {@link #writeLock} serializes whole
 * frames; the two locks are the only ones held across I/O, and no lock is held while a handler
 * runs.
 */
final class DefaultModuleClient implements ModuleClient {
  private static final int INVOKE_QUEUE = 256;

  /** Most events the event thread takes from its queue at once. */
  private static final int EVENT_BATCH = 64;

  private static final long CLOSE_WRITE_WAIT_MS = 250;

  /** How long a caller spins on its answer before parking (see {@link #spinBriefly}). */
  static final long SPIN_NANOS = 50_000;

  private static final boolean SPIN = Runtime.getRuntime().availableProcessors() > 1;

  static final int SPIN_PROBE_EVERY = 64;
  private static final int SPIN_CREDIT_MAX = 8;

  /** Adaptive spin state (see spinBriefly); plain volatile fields, races only skew a heuristic. */
  private volatile int spinCredit = SPIN_CREDIT_MAX;

  private volatile int callsWithoutSpin;

  private final ClientConfig config;
  private final Codec codec = Codec.withDefaults();

  /**
   * After a caller has read its own answer the reader thread stays off the socket this long (or
   * until another caller needs it), so that a module making calls one after another reads each
   * answer itself without waking the reader in between. Bytes arriving meanwhile (events, invokes)
   * wait at most this long, unless the next call reads them first.
   */
  static final long READER_GRACE_NANOS = 250_000;

  /**
   * While a caller reads, the reader thread checks back less and less often (from {@link
   * #READER_GRACE_NANOS}, doubling), up to this long: bytes that arrive just after a long run of
   * calls wait at most about this long plus the grace for it.
   */
  static final long READER_MAX_SLEEP_NANOS = 2_000_000;

  /** Bound of one wait for a full socket to drain, between checks for a closed client. */
  private static final long WRITE_WAIT_SLICE_MS = 100;

  private final SocketChannel channel;

  /** Readiness to read; selected on only by the holder of {@link #readLock}. */
  private final Selector readSelector;

  /** Readiness to write; selected on only by the holder of {@link #writeLock}. */
  private final Selector writeSelector;

  /** Held by whoever reads from the socket: the reader thread, or a caller reading its answer. */
  private final ReentrantLock readLock = new ReentrantLock();

  /** Guarded by readLock. */
  private final IncomingFrames incoming;

  /** Guarded by readLock: the welcome has been read. */
  private boolean welcomed;

  /** Responses read by a calling thread rather than the reader thread (written under readLock). */
  private volatile long answersReadByCallers;

  /** Answers a caller read while it was still spinning (written under readLock). */
  private volatile long answersWhileSpinning;

  /** Calls waiting for their answer. */
  private final AtomicInteger callers = new AtomicInteger();

  /** A caller reads (or is about to read) its own answer: the reader thread steps aside. */
  private volatile boolean callerReads;

  /** System.nanoTime() when the last caller that read its own answer finished. */
  private volatile long callerReadEnded;

  private final ReentrantLock writeLock = new ReentrantLock();

  /** Guarded by writeLock: a write gave up inside a frame, so no further frame may follow. */
  private boolean streamBroken;

  private final AtomicLong ids = new AtomicLong(1);
  private final Map<Long, CompletableFuture<Message.Response>> pending = new ConcurrentHashMap<>();
  private final CompletableFuture<ModuleContext> welcome = new CompletableFuture<>();

  /** Events for the handler thread, each with how many events were dropped just before it. */
  private final BlockingQueue<Queued> events;

  /** Dropped since the last queued event; guarded by readLock. */
  private long droppedSinceQueued;

  /**
   * Events read but not yet queued for the event thread (guarded by readLock): they are queued
   * together when no complete frame is left in the buffer, before an answer is completed or an
   * invoke started, and when the holder of readLock leaves, so the event thread is woken about once
   * per read instead of once per event.
   */
  private final List<Message.Event> arrived = new ArrayList<>();

  private static final int ARRIVED_MAX = 256;

  private record Queued(Message.Event event, long droppedBefore) {}

  private final ThreadPoolExecutor invokes;
  private final Thread reader;
  private final Thread eventThread;

  /** Released when connect() returns (or the client closes): handlers may run from then on. */
  private final CountDownLatch started = new CountDownLatch(1);

  private final CountDownLatch shutdown = new CountDownLatch(1);
  private final AtomicBoolean closed = new AtomicBoolean();
  private final NodeApi api;
  private volatile ErrorValue closeReason;
  private volatile ModuleContext context;

  /** The module's own config: the welcome's, then each ConfigLoaded's {@code modules.<id>}. */
  private volatile JsonNode ownConfig;

  private static final com.fasterxml.jackson.databind.ObjectMapper JSON =
      new com.fasterxml.jackson.databind.ObjectMapper();

  private DefaultModuleClient(ClientConfig config, SocketChannel channel) throws IOException {
    this.config = config;
    this.channel = channel;
    this.incoming = new IncomingFrames(codec.limits().maxFrameBytes());
    this.callerReadEnded = System.nanoTime() - 2 * READER_GRACE_NANOS;
    channel.configureBlocking(false);
    this.readSelector = Selector.open();
    try {
      this.writeSelector = Selector.open();
    } catch (IOException e) {
      readSelector.close();
      throw e;
    }
    channel.register(readSelector, SelectionKey.OP_READ);
    channel.register(writeSelector, SelectionKey.OP_WRITE);
    // two locks (the reader offers, the event thread takes) and a wake-up only when the queue was
    // empty: the event thread is not woken, nor the reader blocked, once per event
    this.events = new LinkedBlockingQueue<>(config.eventQueueCapacity());
    AtomicInteger invokeThreadIds = new AtomicInteger();
    this.invokes =
        new ThreadPoolExecutor(
            config.invokeThreads(),
            config.invokeThreads(),
            30,
            TimeUnit.SECONDS,
            new ArrayBlockingQueue<>(INVOKE_QUEUE),
            r -> daemon(r, "blvm-sdk-invoke-" + invokeThreadIds.incrementAndGet()));
    this.invokes.allowCoreThreadTimeOut(true);
    this.api = new DefaultNodeApi(this, codec);
    this.reader = daemon(this::readLoop, "blvm-sdk-reader");
    this.eventThread = daemon(this::eventLoop, "blvm-sdk-events");
  }

  static ModuleClient connect(ClientConfig config) throws ModuleConnectException {
    SocketDirectory.verifyPrivate(config.socket());
    SocketChannel channel;
    try {
      channel = SocketChannel.open(StandardProtocolFamily.UNIX);
    } catch (IOException e) {
      throw new ModuleConnectException(
          ModuleConnectException.Reason.IO, "cannot open a UNIX-domain socket: " + e, null, e);
    }
    try {
      channel.connect(UnixDomainSocketAddress.of(config.socket()));
    } catch (IOException e) {
      closeQuietly(channel);
      throw new ModuleConnectException(
          ModuleConnectException.Reason.IO,
          "cannot connect to the node at " + config.socket() + ": " + e,
          null,
          e);
    }
    DefaultModuleClient client;
    try {
      client = new DefaultModuleClient(config, channel);
    } catch (IOException e) {
      closeQuietly(channel);
      throw new ModuleConnectException(
          ModuleConnectException.Reason.IO, "cannot set up the connection: " + e, null, e);
    }
    client.reader.start();
    client.eventThread.start();
    try {
      client.handshake();
      client.setup();
    } catch (ModuleConnectException e) {
      client.shutdown(
          ErrorValue.of(ErrorCode.SHUTDOWN, "connect failed: " + e.getMessage()),
          client.welcome.isCompletedExceptionally()
              ? null
              : new Message.Close(ErrorCode.SHUTDOWN, "module gave up: " + e.reason()));
      throw e;
    }
    client.started.countDown();
    return client;
  }

  // ------------------------------------------------------------------ connect steps

  private void handshake() throws ModuleConnectException {
    try {
      send(new Message.Hello(List.of(Codec.PROTOCOL_VERSION), config.token()));
    } catch (IOException e) {
      throw new ModuleConnectException(
          ModuleConnectException.Reason.IO, "cannot send the hello: " + e, null, e);
    }
    Duration timeout = config.handshakeTimeout();
    try {
      context = welcome.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
      if (ownConfig == null) {
        ownConfig = context.config();
      }
    } catch (TimeoutException e) {
      throw new ModuleConnectException(
          ModuleConnectException.Reason.TIMEOUT,
          "the node did not answer the hello within " + timeout.toMillis() + " ms");
    } catch (ExecutionException e) {
      if (e.getCause() instanceof ModuleConnectException m) {
        throw m;
      }
      throw new ModuleConnectException(
          ModuleConnectException.Reason.IO, "handshake failed: " + e.getCause(), null, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ModuleConnectException(
          ModuleConnectException.Reason.IO, "interrupted while waiting for the welcome");
    }
  }

  private void setup() throws ModuleConnectException {
    if (!config.subscriptions().isEmpty()) {
      List<String> wanted = new ArrayList<>(config.subscriptions().keySet());
      JsonNode result =
          setupCall(
              NodeMethod.SUBSCRIBE_EVENTS.wireName(),
              codec.toTree(new Api.SubscribeParams(wanted)));
      Api.Subscribed subscribed;
      try {
        subscribed = codec.toValue(result, Api.Subscribed.class);
      } catch (ProtocolException e) {
        throw new ModuleConnectException(
            ModuleConnectException.Reason.PROTOCOL,
            "malformed subscribe_events result: " + e.getMessage(),
            null,
            e);
      }
      List<String> missing = new ArrayList<>(wanted);
      missing.removeAll(subscribed.events());
      if (!missing.isEmpty()) {
        log(Message.LogLevel.WARN, "subscribe_events did not grant " + missing);
      }
    }
    if (!config.methods().isEmpty()) {
      setupCall(
          NodeMethod.REGISTER_MODULE_API.wireName(),
          codec.toTree(new Api.RegisterApiParams(new ArrayList<>(config.methods().keySet()))));
    }
    setupCall(NodeMethod.READY, null);
  }

  private JsonNode setupCall(String method, JsonNode params) throws ModuleConnectException {
    try {
      return call(method, params);
    } catch (NodeApiException e) {
      throw new ModuleConnectException(
          ModuleConnectException.Reason.SETUP_FAILED, e.getMessage(), e.error(), e);
    }
  }

  /** Responses read by a calling thread itself, not handed over by the reader (for tests). */
  long answersReadByCallers() {
    return answersReadByCallers;
  }

  /** Answers read by their caller while it polled the socket, before it would have slept. */
  long answersWhileSpinning() {
    return answersWhileSpinning;
  }

  // ------------------------------------------------------------------ public API

  @Override
  public ModuleContext context() {
    return context;
  }

  @Override
  public JsonNode config() {
    JsonNode c = ownConfig;
    return c == null ? NullNode.getInstance() : c.deepCopy();
  }

  @Override
  public NodeApi api() {
    return api;
  }

  @Override
  public void log(Message.LogLevel level, String message) {
    if (closed.get()) {
      return;
    }
    int max = codec.limits().maxStringBytes() / 4;
    String text = message.length() > max ? message.substring(0, max) + "…" : message;
    try {
      send(new Message.Log(level, text));
    } catch (IOException e) {
      // the reader notices the broken connection and closes
    }
  }

  @Override
  public boolean isOpen() {
    return !closed.get();
  }

  @Override
  public boolean awaitShutdown(Duration timeout) throws InterruptedException {
    return shutdown.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
  }

  @Override
  public void awaitShutdown() throws InterruptedException {
    shutdown.await();
  }

  @Override
  public Optional<ErrorValue> closeReason() {
    return Optional.ofNullable(closeReason);
  }

  @Override
  public void close() {
    shutdown(
        ErrorValue.of(ErrorCode.SHUTDOWN, "closed by the module"),
        new Message.Close(ErrorCode.SHUTDOWN, "module closed the connection"));
  }

  // ------------------------------------------------------------------ requests

  /** Sends one request and waits for its response within the request timeout. */
  JsonNode call(String method, JsonNode params) throws NodeApiException {
    if (closed.get()) {
      throw unavailable(method);
    }
    long id = ids.getAndIncrement();
    CompletableFuture<Message.Response> answer = new CompletableFuture<>();
    pending.put(id, answer);
    if (closed.get()) { // shutdown may have drained pending before the put
      pending.remove(id);
      throw unavailable(method);
    }
    boolean alone = callers.incrementAndGet() == 1;
    try {
      return awaitAnswer(method, id, params, answer, alone);
    } finally {
      if (alone) {
        callerReadEnded = System.nanoTime();
      }
      if (callers.decrementAndGet() > 0 && alone) {
        LockSupport.unpark(reader); // calls that came meanwhile wait for the reader thread
      }
    }
  }

  private JsonNode awaitAnswer(
      String method,
      long id,
      JsonNode params,
      CompletableFuture<Message.Response> answer,
      boolean alone)
      throws NodeApiException {
    Duration timeout = config.requestTimeout();
    long deadline = System.nanoTime() + timeout.toNanos();
    try {
      send(new Message.Request(id, method, params));
    } catch (FrameTooLargeException e) {
      pending.remove(id);
      throw new NodeApiException(method, ErrorValue.of(ErrorCode.INVALID_PARAMS, e.getMessage()));
    } catch (IOException e) {
      pending.remove(id);
      throw new NodeApiException(
          method, ErrorValue.of(ErrorCode.UNAVAILABLE, "cannot send the request: " + e));
    }
    Message.Response response;
    try {
      if (alone) {
        readOwnAnswer(answer, deadline);
      } else {
        spinBriefly(answer);
      }
      response = answer.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      pending.remove(id);
      throw new NodeApiException(
          method,
          ErrorValue.of(
              ErrorCode.TIMEOUT,
              "no response to request " + id + " within " + timeout.toMillis() + " ms"));
    } catch (ExecutionException e) {
      throw unavailable(method);
    } catch (InterruptedException e) {
      pending.remove(id);
      Thread.currentThread().interrupt();
      throw new NodeApiException(
          method, ErrorValue.of(ErrorCode.UNAVAILABLE, "interrupted while waiting for the node"));
    }
    if (response.error() != null) {
      throw new NodeApiException(method, response.error());
    }
    return response.result();
  }

  /**
   * The calling thread reads from the socket itself until its answer arrives (or the deadline
   * passes), routing whatever else arrives on the way as the reader thread would. If the reader
   * thread holds the read lock it is waiting for bytes; waking its selector makes it step aside.
   *
   * <p>For up to {@link #SPIN_NANOS} (when {@link #spinAllowed}) the caller polls with non-blocking
   * reads instead of sleeping in the selector: the answer to a local call usually comes within that
   * time, and a caller that is still running when it arrives needs no wake-up. Waking a thread that
   * sleeps in {@code epoll_wait} costs the node's write, and then this thread, several microseconds
   * each on a virtualized machine (docs/performance.md, fifth round).
   */
  private void readOwnAnswer(CompletableFuture<?> answer, long deadline)
      throws InterruptedException {
    callerReads = true;
    try {
      if (!readLock.tryLock()) {
        readSelector.wakeup();
        if (!readLock.tryLock(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
          return; // the reader is still busy: the answer may yet come through it
        }
      }
      try {
        pump(answer, deadline);
      } finally {
        readLock.unlock();
      }
    } catch (ClosedSelectorException e) {
      // the client closed meanwhile; the answer has been failed
    } finally {
      callerReads = false;
    }
  }

  /**
   * Waits up to {@link #SPIN_NANOS} for the answer without parking. A response to a local call
   * often arrives within tens of microseconds; a parked caller then needs the reader to wake it (a
   * futex wake plus a scheduling delay, which can be longer than the call itself).
   */
  private void spinBriefly(CompletableFuture<?> answer) {
    if (answer.isDone() || !spinAllowed()) {
      return;
    }
    long start = System.nanoTime();
    do {
      Thread.onSpinWait();
    } while (!answer.isDone() && System.nanoTime() - start < SPIN_NANOS);
    spun(answer.isDone());
  }

  /**
   * Whether a caller may spin now. Spinning is bounded ({@link #SPIN_NANOS}) and adaptive: when
   * answers keep arriving after the spin gave up (a loaded machine, a slow call), spinning only
   * burns the CPU the node and this module's reader need, so the client stops spinning and tries
   * again every {@link #SPIN_PROBE_EVERY} calls. Never on one CPU.
   */
  private boolean spinAllowed() {
    return SPIN && (spinCredit > 0 || ++callsWithoutSpin % SPIN_PROBE_EVERY == 0);
  }

  /** Records whether a spin saw its answer in time (see {@link #spinAllowed}). */
  private void spun(boolean answered) {
    // racy read-modify-write between concurrent callers: a heuristic, any interleaving is fine
    int credit = spinCredit;
    spinCredit = answered ? Math.min(SPIN_CREDIT_MAX, credit + 1) : Math.max(0, credit - 2);
  }

  private NodeApiException unavailable(String method) {
    ErrorValue why = closeReason;
    return new NodeApiException(
        method,
        ErrorValue.of(
            ErrorCode.UNAVAILABLE,
            "the connection to the node is closed"
                + (why == null ? "" : " (" + why.code() + ": " + why.message() + ")")));
  }

  /** Encodes outside the lock, then writes the whole frame under {@link #writeLock}. */
  private void send(Message m) throws IOException {
    byte[] payload = codec.encode(m);
    if (payload.length > codec.limits().maxFrameBytes()) {
      throw new FrameTooLargeException(
          m.kind()
              + " of "
              + payload.length
              + " bytes exceeds the frame limit of "
              + codec.limits().maxFrameBytes());
    }
    ByteBuffer frame = ByteBuffer.wrap(Frames.frame(payload));
    // An interrupt during a channel write closes the channel (InterruptibleChannel): keep a
    // caller's pending interrupt from tearing down the whole connection, and restore it after.
    boolean interrupted = Thread.interrupted();
    writeLock.lock();
    try {
      if (streamBroken) {
        throw new ClosedChannelException();
      }
      try {
        while (frame.hasRemaining()) {
          if (channel.write(frame) == 0) {
            awaitWritable();
          }
        }
      } catch (IOException | RuntimeException e) {
        streamBroken |= frame.position() > 0;
        throw e;
      }
    } finally {
      writeLock.unlock();
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Caller holds writeLock; the socket's send buffer is full. */
  private void awaitWritable() throws IOException {
    if (closed.get()) {
      throw new ClosedChannelException();
    }
    try {
      writeSelector.select(WRITE_WAIT_SLICE_MS);
      writeSelector.selectedKeys().clear();
    } catch (ClosedSelectorException e) {
      throw new ClosedChannelException();
    }
  }

  private static final class FrameTooLargeException extends IOException {
    private static final long serialVersionUID = 1L;

    FrameTooLargeException(String message) {
      super(message);
    }
  }

  // ------------------------------------------------------------------ reader

  /**
   * The reader thread: reads whenever no caller reads its own answer, and stays away for {@link
   * #READER_GRACE_NANOS} after one did, unless other calls are waiting.
   */
  private void readLoop() {
    long sleep = READER_GRACE_NANOS;
    while (!closed.get()) {
      Thread.interrupted(); // nothing interrupts the reader; a stray interrupt must not spin it
      if (callerReads) {
        // a caller is reading, and while calls keep coming the callers read everything: look
        // less and less often (the last caller to leave unparks this thread if calls remain)
        LockSupport.parkNanos(this, sleep);
        sleep = Math.min(2 * sleep, READER_MAX_SLEEP_NANOS);
        continue;
      }
      long graceLeft = READER_GRACE_NANOS - (System.nanoTime() - callerReadEnded);
      if (callers.get() == 0 && graceLeft > 0) {
        LockSupport.parkNanos(this, graceLeft); // until the grace after the last call ends
        continue;
      }
      sleep = READER_GRACE_NANOS;
      readLock.lock();
      try {
        pump(null, 0);
      } finally {
        readLock.unlock();
      }
    }
  }

  private boolean readerShouldYield() {
    return callerReads
        || (callers.get() == 0 && System.nanoTime() - callerReadEnded < READER_GRACE_NANOS);
  }

  /**
   * Caller holds readLock. Reads and routes frames until {@code answer} is done or the deadline
   * passes (a caller), or until no bytes are waiting and a caller wants to read (the reader thread:
   * {@code answer} is null and there is no deadline). A broken connection or a protocol violation
   * shuts the client down ({@link #fail}), which also fails every waiting call.
   */
  private void pump(CompletableFuture<?> answer, long deadline) {
    // A caller that may spin polls the socket with non-blocking reads for up to SPIN_NANOS before
    // it waits in the selector (see readOwnAnswer). Otherwise it waits for readiness before the
    // first read, rather than spend a read(2) that finds nothing (the selector reports bytes
    // already there at once).
    long spinStart = answer != null && spinAllowed() ? System.nanoTime() : 0;
    boolean spinning = spinStart != 0;
    boolean tryRead = answer == null || spinning;
    try {
      while (!closed.get()) {
        if (answer != null && answer.isDone()) {
          if (spinning) {
            spun(true);
            answersWhileSpinning++; // one writer at a time: the holder of readLock
          }
          return;
        }
        byte[] payload = incoming.next();
        if (payload == null) {
          queueArrived(); // before this thread reads again or waits
        } else {
          if (!handle(payload)) {
            return;
          }
          if (answer == null && callerReads) {
            return; // a caller waits for the lock: let it read from here on
          }
          continue;
        }
        if (Thread.currentThread().isInterrupted()) {
          return; // an interrupted channel read would close the connection
        }
        if (tryRead) {
          int n = incoming.readFrom(channel);
          if (n > 0) {
            continue;
          }
          if (n < 0) {
            incoming.checkCleanEnd();
            fail(
                ErrorValue.of(
                    ErrorCode.UNAVAILABLE,
                    "the node closed the connection without a close message"),
                false,
                ModuleConnectException.Reason.IO);
            return;
          }
        }
        tryRead = true;
        if (spinning) {
          if (System.nanoTime() - spinStart < SPIN_NANOS) {
            Thread.onSpinWait();
            continue;
          }
          spinning = false;
          spun(false);
        }
        long waitMs;
        if (answer == null) {
          if (readerShouldYield()) {
            return;
          }
          waitMs = 0; // until bytes arrive, or a caller or the shutdown wakes the selector
        } else {
          long left = deadline - System.nanoTime();
          if (left <= 0) {
            return;
          }
          waitMs = Math.max(1, TimeUnit.NANOSECONDS.toMillis(left + 999_999));
        }
        readSelector.select(waitMs);
        readSelector.selectedKeys().clear();
      }
    } catch (ProtocolException e) {
      fail(
          ErrorValue.of(
              ErrorCode.PROTOCOL_ERROR, "undecodable message from the node: " + e.getMessage()),
          true,
          ModuleConnectException.Reason.PROTOCOL);
    } catch (IOException | ClosedSelectorException e) {
      if (!closed.get()) {
        fail(
            ErrorValue.of(ErrorCode.UNAVAILABLE, "reading from the node failed: " + e),
            false,
            ModuleConnectException.Reason.IO);
      }
    } catch (RuntimeException e) {
      fail(
          ErrorValue.of(ErrorCode.INTERNAL, "SDK reader failed: " + e),
          true,
          ModuleConnectException.Reason.IO);
    } finally {
      queueArrived(); // e.g. the reader steps aside for a caller with events read
    }
  }

  /** Caller holds readLock. Decodes and routes one frame; false when the client shut down. */
  private boolean handle(byte[] payload) throws ProtocolException {
    Message m = codec.decode(payload);
    if (m instanceof Message.Close c) {
      fail(ErrorValue.of(c.code(), c.message()), false, ModuleConnectException.Reason.REJECTED);
      return false;
    }
    String violation;
    if (!welcomed) {
      violation = onHandshake(m);
      welcomed = violation == null;
    } else {
      violation = dispatch(m);
    }
    if (violation != null) {
      fail(
          ErrorValue.of(ErrorCode.PROTOCOL_ERROR, violation),
          true,
          ModuleConnectException.Reason.PROTOCOL);
      return false;
    }
    return true;
  }

  /**
   * The connection failed: fails a pending handshake, tells the node why when it is at fault (or
   * the SDK is), and shuts down.
   */
  private void fail(
      ErrorValue reason, boolean tellNode, ModuleConnectException.Reason handshakeFailure) {
    welcome.completeExceptionally(
        new ModuleConnectException(
            handshakeFailure,
            handshakeFailure == ModuleConnectException.Reason.REJECTED
                ? "the node refused the connection: " + reason.code() + ": " + reason.message()
                : "handshake failed: " + reason.code() + ": " + reason.message(),
            handshakeFailure == ModuleConnectException.Reason.REJECTED ? reason : null,
            null));
    // close codes are PROTOCOL_ERROR for the node's violations, SHUTDOWN for the SDK's own failure
    ErrorCode closeCode =
        reason.code() == ErrorCode.PROTOCOL_ERROR ? ErrorCode.PROTOCOL_ERROR : ErrorCode.SHUTDOWN;
    shutdown(reason, tellNode ? new Message.Close(closeCode, reason.message()) : null);
  }

  /** The first message must be a welcome (close is handled by the caller). */
  private String onHandshake(Message m) {
    if (!(m instanceof Message.Welcome w)) {
      return "expected welcome or close after hello, found " + m.kind();
    }
    if (w.version() != Codec.PROTOCOL_VERSION) {
      return "the node chose protocol version "
          + w.version()
          + "; this module offered only "
          + Codec.PROTOCOL_VERSION;
    }
    welcome.complete(w.context());
    return null;
  }

  /** Routes one message after the welcome; returns a protocol violation or null. */
  private String dispatch(Message m) {
    if (m instanceof Message.Response r) {
      if (Thread.currentThread() != reader) {
        answersReadByCallers++; // one writer at a time: the holder of readLock
      }
      CompletableFuture<Message.Response> answer = pending.remove(r.id());
      if (answer != null) {
        queueArrived(); // events that came before the answer are queued before the caller runs on
        answer.complete(r);
      } // else: the caller timed out already; a late answer is dropped
      return null;
    }
    if (m instanceof Message.Event e) {
      if (e.source() == null && EventType.ConfigLoaded.wireName().equals(e.type())) {
        JsonNode own = ownSection(e);
        if (own != null) {
          ownConfig = own; // before any handler runs, even if the event queue is full
        }
      }
      arrived.add(e);
      if (arrived.size() >= ARRIVED_MAX) {
        queueArrived();
      }
      return null;
    }
    if (m instanceof Message.Invoke i) {
      queueArrived();
      try {
        invokes.execute(() -> runInvoke(i));
      } catch (RejectedExecutionException e) {
        if (!closed.get()) {
          respond(
              Message.Response.error(
                  i.id(),
                  ErrorValue.of(
                      ErrorCode.UNAVAILABLE,
                      "module is busy: " + INVOKE_QUEUE + " calls already waiting")));
        }
      }
      return null;
    }
    return "the node sent a " + m.kind() + " message, which is not allowed after the welcome";
  }

  // ------------------------------------------------------------------ events

  /**
   * Caller holds readLock. Queues the events read so far for the event thread, in order; those that
   * do not fit are dropped and counted for the next queued event's warning.
   */
  private void queueArrived() {
    for (int i = 0; i < arrived.size(); i++) {
      if (events.offer(new Queued(arrived.get(i), droppedSinceQueued))) {
        droppedSinceQueued = 0;
      } else {
        droppedSinceQueued++;
      }
    }
    arrived.clear();
  }

  private void eventLoop() {
    try {
      started.await();
      List<Queued> batch = new ArrayList<>(EVENT_BATCH);
      while (!closed.get()) {
        // whatever is queued, in order, under one acquisition of the queue's lock
        batch.add(events.take());
        events.drainTo(batch, EVENT_BATCH - 1);
        for (int i = 0; i < batch.size() && !closed.get(); i++) {
          Queued q = batch.get(i);
          Message.Event e = q.event();
          long dropped = q.droppedBefore();
          if (dropped > 0) {
            log(
                Message.LogLevel.WARN,
                dropped
                    + " events dropped before seq "
                    + e.seq()
                    + ": the event queue (capacity "
                    + config.eventQueueCapacity()
                    + ") was full");
          }
          deliver(e);
        }
        batch.clear();
      }
    } catch (InterruptedException e) {
      // shutdown
    }
  }

  /** The visible config of a ConfigLoaded event, or null when its payload is malformed. */
  private JsonNode visibleConfig(Message.Event e) {
    try {
      EventPayloads.ConfigLoaded p = codec.toValue(e.payload(), EventPayloads.ConfigLoaded.class);
      return p.configJson() == null ? null : JSON.readTree(p.configJson());
    } catch (ProtocolException | IOException | RuntimeException x) {
      return null;
    }
  }

  /** This module's own section ({@code modules.<id>}) of a ConfigLoaded event, or null. */
  private JsonNode ownSection(Message.Event e) {
    JsonNode visible = visibleConfig(e);
    ModuleContext ctx = context;
    String id = ctx != null ? ctx.moduleId() : null;
    JsonNode own = visible == null || id == null ? null : visible.path("modules").get(id);
    return own != null && own.isObject() ? own : null;
  }

  private void deliver(Message.Event e) {
    if (e.source() == null && EventType.EventsDropped.wireName().equals(e.type())) {
      log(
          Message.LogLevel.WARN,
          "the node dropped "
              + e.payload().path("count").asLong()
              + " events (seq "
              + e.payload().path("first_seq").asLong()
              + ".."
              + e.payload().path("last_seq").asLong()
              + "): this module did not keep up");
    }
    Subscription s = config.subscriptions().get(e.type());
    if (s == null) {
      return; // not subscribed (or a marker this SDK does not know): nothing to run
    }
    try {
      if (s.configHandler() != null) {
        EventPayloads.ConfigLoaded p = codec.toValue(e.payload(), EventPayloads.ConfigLoaded.class);
        JsonNode visible = visibleConfig(e);
        JsonNode own = ownSection(e);
        s.configHandler()
            .onConfig(
                own != null ? own : config(),
                visible != null ? visible : JsonNodeFactory.instance.objectNode(),
                p.changedSections());
        return;
      }
      s.deliver(codec, e);
    } catch (ProtocolException x) {
      log(
          Message.LogLevel.WARN,
          "event " + e.type() + " seq " + e.seq() + " has a malformed payload: " + x.getMessage());
    } catch (InterruptedException x) {
      Thread.currentThread().interrupt();
    } catch (Exception | StackOverflowError x) {
      report("handler for event " + e.type() + " seq " + e.seq() + " failed", x);
    }
  }

  // ------------------------------------------------------------------ invokes

  private void runInvoke(Message.Invoke i) {
    try {
      started.await();
    } catch (InterruptedException e) {
      return;
    }
    if (closed.get()) {
      return;
    }
    if (i.caller() == null && STOP_METHOD.equals(i.method())) {
      runStop(i);
      return;
    }
    MethodHandler handler = config.methods().get(i.method());
    if (handler == null) {
      respond(
          Message.Response.error(
              i.id(),
              ErrorValue.of(
                  ErrorCode.UNKNOWN_METHOD,
                  "this module does not serve \""
                      + i.method()
                      + "\"; it serves "
                      + config.methods().keySet())));
      return;
    }
    Message.Response response;
    try {
      JsonNode result = handler.handle(i.caller(), i.params());
      response = Message.Response.ok(i.id(), result == null ? NullNode.getInstance() : result);
    } catch (Exception | StackOverflowError e) {
      report("served method \"" + i.method() + "\" failed", e);
      response =
          Message.Response.error(
              i.id(),
              ErrorValue.of(ErrorCode.INTERNAL, "method \"" + i.method() + "\" failed: " + e));
    }
    if (!respond(response)) {
      respond(
          Message.Response.error(
              i.id(),
              ErrorValue.of(
                  ErrorCode.INTERNAL, "the result of \"" + i.method() + "\" is too large")));
    }
  }

  private void runStop(Message.Invoke i) {
    try {
      config.onStop().onStop();
    } catch (Exception | StackOverflowError e) {
      report("stop hook failed", e);
    }
    respond(Message.Response.ok(i.id(), JsonNodeFactory.instance.objectNode()));
    shutdown(
        ErrorValue.of(ErrorCode.SHUTDOWN, "stopped by the node"),
        new Message.Close(ErrorCode.SHUTDOWN, "module stopped"));
  }

  /** Sends an invoke's response; false when it is too large to send. */
  private boolean respond(Message.Response r) {
    try {
      send(r);
    } catch (FrameTooLargeException e) {
      return false;
    } catch (IOException e) {
      // the reader notices the broken connection and closes
    }
    return true;
  }

  private void report(String what, Throwable t) {
    System.err.println("blvm-sdk: " + what + ": " + t);
    t.printStackTrace();
    log(Message.LogLevel.ERROR, what + ": " + t);
  }

  // ------------------------------------------------------------------ shutdown

  /**
   * Closes everything once: optionally sends a last close message, closes the socket, fails waiting
   * calls with UNAVAILABLE, stops the event and invoke threads, releases awaitShutdown.
   */
  private void shutdown(ErrorValue reason, Message.Close last) {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    closeReason = reason;
    if (last != null) {
      sendLast(last);
    }
    closeQuietly(channel);
    // wakes a reader or caller waiting for bytes and a sender waiting for room; the channel's
    // descriptor is released once both selectors have let go of it
    closeQuietly(readSelector);
    closeQuietly(writeSelector);
    LockSupport.unpark(reader);
    for (Long id : new ArrayList<>(pending.keySet())) {
      CompletableFuture<Message.Response> f = pending.remove(id);
      if (f != null) {
        f.completeExceptionally(new IOException("connection closed"));
      }
    }
    welcome.completeExceptionally(
        new ModuleConnectException(
            ModuleConnectException.Reason.IO,
            "connection closed: " + reason.code() + ": " + reason.message()));
    events.clear();
    started.countDown();
    if (Thread.currentThread() != eventThread) {
      eventThread.interrupt();
    }
    invokes.shutdown();
    shutdown.countDown();
  }

  /**
   * Best effort, at most {@link #CLOSE_WRITE_WAIT_MS}: a sender stuck on a full socket, or a node
   * that does not read, must not stop the close; nothing is written after a half-written frame.
   */
  private void sendLast(Message.Close last) {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(CLOSE_WRITE_WAIT_MS);
    try {
      byte[] frame = Frames.frame(codec.encode(last));
      if (writeLock.tryLock(CLOSE_WRITE_WAIT_MS, TimeUnit.MILLISECONDS)) {
        try {
          ByteBuffer b = ByteBuffer.wrap(frame);
          while (!streamBroken && b.hasRemaining()) {
            if (channel.write(b) == 0) {
              long left = deadline - System.nanoTime();
              if (left <= 0) {
                streamBroken = b.position() > 0;
                return;
              }
              writeSelector.select(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
              writeSelector.selectedKeys().clear();
            }
          }
        } finally {
          writeLock.unlock();
        }
      }
    } catch (IOException | RuntimeException e) {
      // best effort
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void closeQuietly(java.io.Closeable c) {
    try {
      c.close();
    } catch (IOException e) {
      // nothing more to do
    }
  }

  private static Thread daemon(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    return t;
  }
}
