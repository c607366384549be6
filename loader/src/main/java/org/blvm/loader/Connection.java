package org.blvm.loader;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.blvm.protocol.Codec;
import org.blvm.protocol.ErrorCode;
import org.blvm.protocol.ErrorValue;
import org.blvm.protocol.Frames;
import org.blvm.protocol.Message;
import org.blvm.protocol.ProtocolException;
import org.blvm.protocol.SharedEvent;
import org.newsclub.net.unix.AFUNIXSocket;

/**
 * One module connection: a reader thread that decodes frames and dispatches them, and a writer
 * thread that drains a bounded queue of encoded frames, several per write. Nothing the node calls
 * on a connection blocks: sends only enqueue. A full queue disconnects the module (its events would
 * otherwise be silently lost); see docs/concurrency.md.
 */
final class Connection {
  private static final System.Logger LOG = System.getLogger("blvm.loader.connection");

  /** Marks the end of the outgoing stream: flush, then close the socket. */
  private static final byte[] END = new byte[0];

  private static final int MAX_BATCH = 256;

  private final ModuleSlot slot;
  private final AFUNIXSocket socket;
  private final Codec codec;
  private final LoaderConfig config;
  private final ArrayBlockingQueue<byte[]> out;
  private final AtomicLong queuedBytes = new AtomicLong();
  private final Object sendLock = new Object();
  private final AtomicBoolean closed = new AtomicBoolean();
  private final Map<Long, CompletableFuture<Message.Response>> pendingInvokes =
      new ConcurrentHashMap<>();
  private final AtomicLong nextInvokeId = new AtomicLong();
  private final long peerPid;

  /** Guarded by sendLock. */
  private long eventSeq;

  private volatile boolean authenticated;
  private volatile String closeReason;
  private Thread reader;
  private Thread writer;

  Connection(ModuleSlot slot, AFUNIXSocket socket, long peerPid, Codec codec, LoaderConfig config) {
    this.slot = slot;
    this.socket = socket;
    this.peerPid = peerPid;
    this.codec = codec;
    this.config = config;
    this.out = new ArrayBlockingQueue<>(config.eventQueueFrames() + 1);
  }

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

  /** Enqueues an event with this connection's next sequence number. */
  boolean sendEvent(SharedEvent event) {
    synchronized (sendLock) {
      if (closed.get()) {
        return false;
      }
      byte[] frame = codec.eventFrame(event, eventSeq + 1);
      if (!offer(frame)) {
        return false;
      }
      eventSeq++;
      return true;
    }
  }

  private boolean enqueue(byte[] frame) {
    synchronized (sendLock) {
      return !closed.get() && offer(frame);
    }
  }

  /** Caller holds sendLock. */
  private boolean offer(byte[] frame) {
    long bytes = queuedBytes.get() + frame.length;
    if (bytes > config.eventQueueBytes() || !out.offer(frame)) {
      overflow();
      return false;
    }
    queuedBytes.addAndGet(frame.length);
    return true;
  }

  private void overflow() {
    String reason =
        "outgoing queue full ("
            + out.size()
            + " frames, "
            + queuedBytes.get()
            + " bytes): the module is not reading; disconnected";
    LOG.log(System.Logger.Level.WARNING, "module {0}: {1}", slot.id(), reason);
    slot.countOverflow();
    terminate(reason);
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
      out.offer(frame);
      closeReason = code + ": " + message;
      closed.set(true);
      if (!out.offer(END)) {
        closeSocket();
      }
    }
    failPending();
  }

  /** Closes at once without a goodbye (peer gone, queue overflow). */
  void terminate(String reason) {
    synchronized (sendLock) {
      if (closeReason == null) {
        closeReason = reason;
      }
      closed.set(true);
      out.clear();
      queuedBytes.set(0);
      out.offer(END);
    }
    closeSocket();
    failPending();
  }

  private void closeSocket() {
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
    List<byte[]> batch = new ArrayList<>(MAX_BATCH);
    try (OutputStream os = new BufferedOutputStream(socket.getOutputStream(), 64 * 1024)) {
      while (true) {
        byte[] first = out.take();
        batch.add(first);
        out.drainTo(batch, MAX_BATCH - 1);
        boolean end = false;
        for (byte[] frame : batch) {
          if (frame == END) {
            end = true;
            break;
          }
          queuedBytes.addAndGet(-frame.length);
          os.write(frame);
        }
        batch.clear();
        os.flush();
        if (end) {
          break;
        }
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
