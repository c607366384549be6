package org.blvm.loader;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.SocketTimeoutException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import org.blvm.policy.ModulePolicy;
import org.blvm.protocol.Codec;
import org.blvm.protocol.ErrorCode;
import org.blvm.protocol.ErrorValue;
import org.blvm.protocol.EventPayloads;
import org.blvm.protocol.EventType;
import org.blvm.protocol.Frames;
import org.blvm.protocol.Message;
import org.blvm.protocol.ProtocolException;
import org.blvm.protocol.SharedEvent;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.FileDescriptorCast;

/**
 * One module connection: a reader thread that decodes frames and dispatches them, and a writer
 * thread that drains a bounded queue of encoded frames, several per write. Nothing the node calls
 * on a connection blocks: sends only enqueue. A full queue applies the module's overflow rule:
 * disconnect, or drop the oldest queued events and send an EventsDropped marker before the next
 * event; see docs/concurrency.md. A publisher that queues an event for a waiting writer does not
 * wake it: it hands the connection to the manager's {@link EventWaker}, which does.
 *
 * <p>Fast path for responses ({@link #sendResponse}): the thread that produced a small response
 * writes it to the socket itself, instead of handing it to the writer thread, when that cannot
 * block — the write lock is free, every non-event frame queued before it has been written, and
 * {@code send(2)} with {@code MSG_DONTWAIT} takes the whole frame ({@link SocketSend}). Otherwise
 * the response is queued as before. Events never take this path, so their order and sequence
 * numbers are unchanged.
 */
final class Connection {
  private static final System.Logger LOG = System.getLogger("blvm.loader.connection");

  /** Marks the end of the outgoing stream: flush, then close the socket. */
  private static final byte[] END = new byte[0];

  private static final int MAX_BATCH = 256;

  /**
   * After writing a batch the writer waits this long (by default; {@code
   * LoaderConfig.writerLingerNanos}) before taking the next one, so that events queued meanwhile go
   * out together and the writer (and the module's reader) is woken less often. An idle (waiting)
   * writer is woken by the first frame: at once for a response, invoke or close, by the {@link
   * EventWaker} for an event. This only delays events that arrive while the connection is busy, by
   * at most this much; a response, invoke or close queued meanwhile cuts the wait short ({@link
   * #writerLingering}), and direct response writes do not wait for it at all. 500 µs rather than
   * 200: with 8 subscribers on 2 cores the wake-ups per batch, not the bytes, were the cost
   * (docs/performance.md, fifth round).
   */
  static final java.time.Duration WRITER_LINGER = java.time.Duration.ofNanos(500_000);

  /** The writer waits out its linger: a queued control frame unparks it. */
  private volatile boolean writerLingering;

  /** Upper bound of a directly written frame; the socket's send buffer lowers it (see below). */
  private static final int DIRECT_MAX_BYTES = 4096;

  private final ModuleSlot slot;
  private final AFUNIXSocket socket;
  private final Codec codec;
  private final LoaderConfig config;
  private final ModulePolicy.EventOverflow overflowRule;

  /**
   * Notifies the writer when an event is queued for it while it waits, so the publishing thread
   * does not; null (connections without a manager) means the publisher notifies it itself.
   */
  private final EventWaker waker;

  /** Outgoing frames in order; guarded by sendLock, which the writer waits on. */
  private final ArrayDeque<Outgoing> out = new ArrayDeque<>();

  private final Object sendLock = new Object();

  /**
   * Guarded by sendLock: the writer waits in {@code sendLock.wait()} and nobody has notified it
   * yet. Whoever notifies it clears the flag, so each wait costs at most one wake-up.
   */
  private boolean writerWaiting;

  /**
   * Guarded by sendLock: this connection was handed to the {@link #waker} and it has not taken it
   * yet; later events need not hand it over again (the waker looks at the queue when it comes).
   */
  private boolean wakeHandedOff;

  /** Guarded by sendLock: bytes in {@link #out}. */
  private long queuedBytes;

  /** Guarded by sendLock: events dropped since the last EventsDropped marker (0: none). */
  private long droppedCount;

  private long droppedFirst;
  private long droppedLast;
  private final AtomicBoolean closed = new AtomicBoolean();
  private final Map<Long, CompletableFuture<Message.Response>> pendingInvokes =
      new ConcurrentHashMap<>();
  private final AtomicLong nextInvokeId = new AtomicLong();
  private final long peerPid;

  /**
   * Serialises every write to the socket: held by the writer thread for a whole batch (across the
   * blocking write, like before) and by a direct response write. Only the writer waits for it
   * ({@code lock()}); a direct write only ever {@code tryLock()}s, so the thread that answers a
   * request never waits for the writer or for the module.
   */
  private final ReentrantLock writeLock = new ReentrantLock();

  /**
   * The last non-event frame queued and not yet written, or null. While it is set a response may
   * not overtake the queue: a welcome (or any other control frame) queued before a response is
   * always written before it. Set under sendLock before the frame is offered; cleared by the writer
   * (compare-and-set) once it has written that frame.
   */
  private final AtomicReference<byte[]> unwrittenControl = new AtomicReference<>();

  /**
   * The socket's file descriptor for {@link SocketSend}, or -1: then nothing is written directly.
   */
  private final int fd;

  /** The largest frame written directly: min(DIRECT_MAX_BYTES, SO_SNDBUF / 8). */
  private final int directMaxBytes;

  /**
   * Closes the socket ({@link #closeSocket}) only when no direct send is in flight on {@link #fd},
   * so that a send never reaches a descriptor number a close has handed to another file.
   */
  private final DescriptorGuard fdGuard = new DescriptorGuard(this::closeNow);

  /** Guarded by writeLock: a write of the writer failed, maybe inside a frame. */
  private boolean streamBroken;

  private final AtomicLong directWrites = new AtomicLong();

  /** Guarded by sendLock. */
  private long eventSeq;

  private volatile boolean authenticated;
  private volatile String closeReason;
  private Thread reader;
  private volatile Thread writer;

  Connection(
      ModuleSlot slot,
      AFUNIXSocket socket,
      long peerPid,
      Codec codec,
      LoaderConfig config,
      EventWaker waker) {
    this.slot = slot;
    this.waker = waker;
    this.socket = socket;
    this.peerPid = peerPid;
    this.codec = codec;
    this.config = config;
    this.overflowRule = slot.eventOverflow();
    int nativeFd = -1;
    int max = 0;
    if (SocketSend.available()) {
      try {
        nativeFd = FileDescriptorCast.using(socket.getFileDescriptor()).as(Integer.class);
        max = Math.min(DIRECT_MAX_BYTES, socket.getSendBufferSize() / 8);
      } catch (IOException | RuntimeException e) {
        LOG.log(
            System.Logger.Level.DEBUG,
            "module {0}: no direct response writes (cannot read the socket's fd: {1})",
            slot.id(),
            e.toString());
        nativeFd = -1;
      }
    }
    this.fd = nativeFd;
    this.directMaxBytes = max;
  }

  /** One queued frame; {@code seq} is the event's sequence number, 0 for other messages. */
  private record Outgoing(byte[] frame, long seq) {}

  void start() {
    String name = slot.id();
    writer = new Thread(this::writeLoop, "blvm-" + name + "-writer");
    reader = new Thread(this::readLoop, "blvm-" + name + "-reader");
    writer.setDaemon(true);
    reader.setDaemon(true);
    writer.start();
    reader.start();
  }

  long peerPid() {
    return peerPid;
  }

  boolean isOpen() {
    return !closed.get();
  }

  boolean isAuthenticated() {
    return authenticated;
  }

  /** Called by the slot once the hello checked out, before the welcome is queued. */
  void markAuthenticated() {
    authenticated = true;
  }

  String closeReason() {
    return closeReason;
  }

  // ------------------------------------------------------------------ sending (never blocks)

  /** Enqueues a message; false when the connection is closed or its queue overflowed. */
  boolean send(Message m) {
    return enqueue(codec.encodeFrame(m));
  }

  /**
   * Enqueues an event with this connection's next sequence number. When the writer waits for work
   * it is not notified here but by the {@link EventWaker} (if there is one), so that the publishing
   * thread makes no wake-up system call; see docs/concurrency.md.
   */
  boolean sendEvent(SharedEvent event) {
    boolean handOff = false;
    boolean overflowed = false;
    synchronized (sendLock) {
      if (closed.get()) {
        return false;
      }
      byte[] frame = codec.eventFrame(event, eventSeq + 1);
      if (!offer(frame, eventSeq + 1)) {
        overflowed = true;
      } else {
        eventSeq++;
        if (writerWaiting) {
          if (waker == null) {
            notifyWriter();
          } else if (!wakeHandedOff) {
            wakeHandedOff = true;
            handOff = true;
          }
        }
      }
    }
    if (overflowed) {
      finishOverflow();
      return false;
    }
    if (handOff) {
      waker.wakeLater(this);
    }
    return true;
  }

  /** Called by the {@link EventWaker}: notifies the writer if it still waits for queued frames. */
  void wakeWriter() {
    synchronized (sendLock) {
      wakeHandedOff = false;
      if (writerWaiting && !out.isEmpty()) {
        notifyWriter();
      }
    }
  }

  /** Caller holds sendLock. The wake-up itself happens when the caller leaves the monitor. */
  private void notifyWriter() {
    writerWaiting = false;
    sendLock.notifyAll();
  }

  /**
   * Sends a response. Written at once by the calling thread when that cannot block (see the class
   * comment and docs/concurrency.md), else queued like {@link #send}. A response may overtake
   * queued events — they are a different stream with their own sequence numbers — but never a
   * queued welcome, invoke, response or close.
   */
  boolean sendResponse(Message.Response r) {
    return sendResponseFrame(codec.encodeFrame(r));
  }

  /** Sends a dispatcher's answer like {@link #sendResponse}; a typed result is encoded directly. */
  boolean sendResponse(Reply r) {
    Message.Response m = r.response();
    return sendResponseFrame(
        m != null ? codec.encodeFrame(m) : codec.encodeResponseFrame(r.id(), r.result()));
  }

  private boolean sendResponseFrame(byte[] frame) {
    switch (tryWriteDirect(frame)) {
      case WRITTEN:
        return true;
      case FAILED:
        return false;
      default:
        return enqueue(frame);
    }
  }

  private enum Direct {
    WRITTEN,
    FAILED,
    NOT_NOW
  }

  private Direct tryWriteDirect(byte[] frame) {
    if (fd < 0
        || frame.length > directMaxBytes
        || unwrittenControl.get() != null
        || closed.get()
        || !writeLock.tryLock()) {
      return Direct.NOT_NOW;
    }
    try {
      // Re-checked under the lock: the writer clears unwrittenControl only while holding it. The
      // writer flushes before it releases the lock, so no frame of its own is half-written here.
      if (streamBroken || unwrittenControl.get() != null || closed.get() || !fdGuard.enter()) {
        return Direct.NOT_NOW;
      }
      long sent;
      try {
        sent = SocketSend.sendNow(fd, frame);
      } finally {
        fdGuard.exit();
      }
      if (sent == SocketSend.WOULD_BLOCK) {
        return Direct.NOT_NOW;
      }
      if (sent != frame.length) {
        // not for a frame this small (see SocketSend); if it ever happened the rest of the frame
        // could not be sent in order without waiting, so the stream is given up
        terminate("partial direct write (" + sent + " of " + frame.length + " bytes)");
        return Direct.FAILED;
      }
      directWrites.incrementAndGet();
      return Direct.WRITTEN;
    } catch (SocketSend.SendException e) {
      if (!closed.get()) {
        terminate("write failed: " + e.getMessage());
      }
      return Direct.FAILED;
    } finally {
      writeLock.unlock();
    }
  }

  /** The writer waits after a batch (for tests). */
  boolean writerLingering() {
    return writerLingering;
  }

  /** Responses written directly by the thread that produced them (for tests and diagnostics). */
  long directWrites() {
    return directWrites.get();
  }

  private boolean enqueue(byte[] frame) {
    boolean queued;
    synchronized (sendLock) {
      if (closed.get()) {
        return false;
      }
      // before the offer: the writer can only clear it after writing this very frame
      unwrittenControl.set(frame);
      queued = offer(frame, 0);
      // responses, invokes and the welcome wake the writer at once: they are not on a
      // publisher's path and are latency-sensitive
      if (queued && writerWaiting) {
        notifyWriter();
      }
    }
    if (!queued) {
      finishOverflow();
      return false;
    }
    Thread w = writer;
    if (writerLingering && w != null) {
      LockSupport.unpark(w); // nor do they wait out the linger after a batch of events
    }
    return true;
  }

  /**
   * Caller holds sendLock. Queues the frame if it fits; otherwise applies the overflow rule: drop
   * the oldest queued events to make room (never other messages), or disconnect.
   */
  private boolean offer(byte[] frame, long seq) {
    if (!fits(frame.length)) {
      if (overflowRule == ModulePolicy.EventOverflow.DROP_OLDEST) {
        dropOldestEvents(frame.length);
      }
      if (!fits(frame.length)) {
        overflow();
        return false;
      }
    }
    out.addLast(new Outgoing(frame, seq));
    queuedBytes += frame.length;
    return true;
  }

  private boolean fits(int length) {
    return out.size() < config.eventQueueFrames()
        && queuedBytes + length <= config.eventQueueBytes();
  }

  /** Caller holds sendLock. Drops queued events, oldest first, until {@code length} fits. */
  private void dropOldestEvents(int length) {
    long n = 0;
    for (Iterator<Outgoing> it = out.iterator(); it.hasNext() && !fits(length); ) {
      Outgoing o = it.next();
      if (o.seq() == 0) {
        continue; // responses, invokes and the close are never dropped
      }
      it.remove();
      queuedBytes -= o.frame().length;
      if (droppedCount == 0) {
        droppedFirst = o.seq();
      }
      droppedLast = o.seq();
      droppedCount++;
      n++;
    }
    if (n > 0) {
      slot.countDropped(n);
    }
  }

  private void overflow() {
    String reason =
        "outgoing queue full ("
            + out.size()
            + " frames, "
            + queuedBytes
            + " bytes): the module is not reading; disconnected";
    LOG.log(System.Logger.Level.WARNING, "module {0}: {1}", slot.id(), reason);
    slot.countOverflow();
    markClosed(reason);
  }

  /**
   * The rest of an overflow's disconnect, once the caller has left sendLock: closing the socket and
   * failing pending calls complete other connections' futures (call_module answers), which must
   * never run under this connection's lock.
   */
  private void finishOverflow() {
    closeSocket();
    failPending();
  }

  /** Sends an invoke and returns the module's answer; fails on timeout or disconnect. */
  CompletableFuture<Message.Response> invoke(
      String method,
      com.fasterxml.jackson.databind.JsonNode params,
      String caller,
      long timeoutMs) {
    long id = nextInvokeId.incrementAndGet();
    CompletableFuture<Message.Response> f = new CompletableFuture<>();
    if (pendingInvokes.size() >= config.maxPendingInvokes()) {
      f.complete(
          Message.Response.error(
              id,
              ErrorValue.of(
                  ErrorCode.RATE_LIMITED,
                  "module " + slot.id() + " has " + pendingInvokes.size() + " calls in flight")));
      return f;
    }
    pendingInvokes.put(id, f);
    if (!send(new Message.Invoke(id, method, params, caller))) {
      pendingInvokes.remove(id);
      f.complete(unavailable(id));
      return f;
    }
    return f.orTimeout(timeoutMs, TimeUnit.MILLISECONDS)
        .exceptionally(
            t -> {
              pendingInvokes.remove(id);
              return Message.Response.error(
                  id,
                  ErrorValue.of(
                      ErrorCode.TIMEOUT,
                      "module "
                          + slot.id()
                          + " did not answer "
                          + method
                          + " within "
                          + timeoutMs
                          + " ms"));
            });
  }

  private Message.Response unavailable(long id) {
    return Message.Response.error(
        id, ErrorValue.of(ErrorCode.UNAVAILABLE, "module " + slot.id() + " is not connected"));
  }

  // ------------------------------------------------------------------ closing

  /** Sends a close message, lets the writer flush it, then closes the socket. */
  void closeWith(ErrorCode code, String message) {
    synchronized (sendLock) {
      if (closed.get()) {
        return;
      }
      byte[] frame = codec.encodeFrame(new Message.Close(code, message));
      out.addLast(new Outgoing(frame, 0));
      out.addLast(new Outgoing(END, 0));
      notifyWriter();
      closeReason = code + ": " + message;
      closed.set(true);
    }
    failPending();
  }

  /** Closes at once without a goodbye (peer gone, queue overflow). */
  void terminate(String reason) {
    synchronized (sendLock) {
      markClosed(reason);
    }
    closeSocket();
    failPending();
  }

  /** Caller holds sendLock: closed, queue emptied, the writer told to end. */
  private void markClosed(String reason) {
    if (closeReason == null) {
      closeReason = reason;
    }
    closed.set(true);
    out.clear();
    queuedBytes = 0;
    out.addLast(new Outgoing(END, 0));
    notifyWriter();
  }

  /** Closes the socket now, or as soon as no direct send is in flight (see {@link #fdGuard}). */
  private void closeSocket() {
    fdGuard.close();
  }

  private void closeNow() {
    try {
      socket.close();
    } catch (IOException e) {
      LOG.log(System.Logger.Level.DEBUG, "closing socket of {0}: {1}", slot.id(), e);
    }
  }

  private void failPending() {
    for (Long id : List.copyOf(pendingInvokes.keySet())) {
      CompletableFuture<Message.Response> f = pendingInvokes.remove(id);
      if (f != null) {
        f.complete(
            Message.Response.error(
                id,
                ErrorValue.of(
                    ErrorCode.UNAVAILABLE,
                    "module " + slot.id() + " disconnected before answering")));
      }
    }
  }

  /** Waits (bounded) for both threads to end; used by stop and by tests. */
  void join(long millis) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
    for (Thread t : new Thread[] {reader, writer}) {
      long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
      if (t != null && left > 0) {
        t.join(left);
      }
    }
  }

  // ------------------------------------------------------------------ threads

  private void writeLoop() {
    List<byte[]> batch = new ArrayList<>(MAX_BATCH + 1);
    try {
      // never closed itself: the socket is closed only through closeSocket (descriptor guard)
      OutputStream o = new BufferedOutputStream(socket.getOutputStream(), 64 * 1024);
      while (true) {
        String dropped = takeBatch(batch);
        if (dropped != null) {
          LOG.log(System.Logger.Level.WARNING, "module {0}: {1}", slot.id(), dropped);
        }
        boolean end = false;
        boolean written = false;
        writeLock.lock();
        try {
          for (byte[] frame : batch) {
            if (frame == END) {
              end = true;
              break;
            }
            o.write(frame);
            unwrittenControl.compareAndSet(frame, null);
          }
          o.flush();
          written = true;
        } finally {
          // a failed write may have left part of a frame on the wire: nothing may follow it
          streamBroken = !written;
          writeLock.unlock();
        }
        batch.clear();
        if (end) {
          break;
        }
        writerLingering = true;
        LockSupport.parkNanos(config.writerLingerNanos());
        writerLingering = false;
      }
    } catch (IOException e) {
      if (!closed.get()) {
        terminate("write failed: " + e.getMessage());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      closeSocket();
    }
  }

  /**
   * Waits for frames and moves up to {@link #MAX_BATCH} of them into {@code batch}, preceded by an
   * EventsDropped marker when events were dropped since the last one. Returns what to log about the
   * drop (outside the lock), or null.
   */
  private String takeBatch(List<byte[]> batch) throws InterruptedException {
    String dropped = null;
    synchronized (sendLock) {
      while (out.isEmpty()) {
        writerWaiting = true;
        try {
          sendLock.wait();
        } finally {
          writerWaiting = false;
        }
      }
      if (droppedCount > 0 && !closed.get()) {
        batch.add(droppedMarker());
        dropped =
            droppedCount
                + " events dropped (seq "
                + droppedFirst
                + ".."
                + droppedLast
                + "): its queue was full";
        droppedCount = 0;
      }
      for (int i = 0; i < MAX_BATCH && !out.isEmpty(); i++) {
        Outgoing o = out.pollFirst();
        queuedBytes -= o.frame().length;
        batch.add(o.frame());
      }
    }
    return dropped;
  }

  /** Caller holds sendLock. The marker's seq is the last dropped one: seq stays contiguous. */
  private byte[] droppedMarker() {
    EventPayloads.EventsDropped p =
        new EventPayloads.EventsDropped(droppedCount, droppedFirst, droppedLast);
    return codec.eventFrame(
        codec.encodeShared(EventType.EventsDropped.wireName(), null, (Object) p), droppedLast);
  }

  private void readLoop() {
    try {
      socket.setSoTimeout((int) config.helloTimeoutMs());
      InputStream in = new BufferedInputStream(socket.getInputStream(), 64 * 1024);
      while (!closed.get()) {
        byte[] payload;
        try {
          payload = Frames.read(in, codec.limits().maxFrameBytes());
        } catch (SocketTimeoutException e) {
          closeWith(
              ErrorCode.PROTOCOL_ERROR,
              "no hello within " + config.helloTimeoutMs() + " ms of connecting");
          break;
        }
        if (payload == null) {
          terminate(authenticated ? "module closed the connection" : "peer closed before hello");
          break;
        }
        handle(codec.decode(payload));
      }
    } catch (ProtocolException e) {
      LOG.log(
          System.Logger.Level.WARNING,
          "module {0}: protocol violation ({1}): {2}",
          slot.id(),
          e.reason(),
          e.getMessage());
      slot.countProtocolError();
      closeWith(ErrorCode.PROTOCOL_ERROR, e.reason() + ": " + e.getMessage());
    } catch (IOException e) {
      terminate(closed.get() ? closeReason : "read failed: " + e.getMessage());
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.ERROR, "module " + slot.id() + ": reader failed", e);
      closeWith(ErrorCode.INTERNAL, "internal error in the node");
    } finally {
      slot.connectionEnded(this);
    }
  }

  private void handle(Message m) {
    if (!authenticated) {
      if (!(m instanceof Message.Hello hello)) {
        violation("expected hello as the first message, got " + m.kind());
        return;
      }
      if (slot.authenticate(this, hello)) {
        try {
          socket.setSoTimeout(0);
        } catch (IOException e) {
          terminate("cannot clear the hello timeout: " + e.getMessage());
        }
      }
      return;
    }
    if (m instanceof Message.Request r) {
      slot.dispatch(this, r);
    } else if (m instanceof Message.Response r) {
      CompletableFuture<Message.Response> f = pendingInvokes.remove(r.id());
      if (f == null) {
        LOG.log(
            System.Logger.Level.DEBUG,
            "module {0}: response to unknown or expired invoke {1}",
            slot.id(),
            r.id());
      } else {
        f.complete(r);
      }
    } else if (m instanceof Message.Log l) {
      slot.log(l);
    } else if (m instanceof Message.Close c) {
      terminate("module closed: " + c.code() + ": " + c.message());
    } else if (m instanceof Message.Hello) {
      violation("second hello on an authenticated connection");
    } else {
      violation("a module may not send " + m.kind() + " messages");
    }
  }

  /** The peer sent a well-formed message it may not send now: close with PROTOCOL_ERROR. */
  private void violation(String message) {
    LOG.log(System.Logger.Level.WARNING, "module {0}: protocol violation: {1}", slot.id(), message);
    slot.countProtocolError();
    closeWith(ErrorCode.PROTOCOL_ERROR, message);
  }
}
