package org.blvm.loader;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.blvm.policy.ModulePolicy;
import org.blvm.protocol.Codec;
import org.blvm.protocol.ErrorCode;
import org.blvm.protocol.ErrorValue;
import org.blvm.protocol.Frames;
import org.blvm.protocol.Message;
import org.blvm.protocol.ProtocolException;
import org.blvm.protocol.SharedEvent;
import org.newsclub.net.unix.AFUNIXSocket;

/**
 * One authenticated module connection (the endpoint read and checked its hello): frames in and out.
 * The reader thread {@code blvm-<module>-reader} decodes frames and reports them to a {@link
 * ConnectionListener}; the writer thread {@code blvm-<module>-writer} drains the {@link
 * OutboundQueue} in batches through the {@link DirectWriter}. Nothing the node calls on a
 * connection blocks: sends only queue, or write a small response directly when that cannot block.
 * Answers to invokes are matched here and complete the invoke's future.
 *
 * <p>Over 400 lines: the reader loop, the send paths and the invoke table share one connection's
 * close-once state.
 */
final class Connection {
  private static final System.Logger LOG = System.getLogger("blvm.loader.connection");

  private final String moduleId;
  private final AFUNIXSocket socket;
  private final Codec codec;
  private final LoaderConfig config;
  private final ConnectionListener listener;
  private final OutboundQueue queue;
  private final DirectWriter direct;
  private final long peerPid;
  private final ModuleCounters counters;
  private final Map<Long, CompletableFuture<Message.Response>> pendingInvokes =
      new ConcurrentHashMap<>();
  private final AtomicLong nextInvokeId = new AtomicLong();

  private volatile boolean authenticated;
  private volatile Thread reader;
  private volatile Thread writer;

  Connection(
      String moduleId,
      AFUNIXSocket socket,
      long peerPid,
      Codec codec,
      LoaderConfig config,
      ModulePolicy.EventOverflow overflowRule,
      EventRelay relay,
      ConnectionListener listener,
      ModuleCounters counters) {
    this.moduleId = moduleId;
    this.counters = counters;
    this.socket = socket;
    this.peerPid = peerPid;
    this.codec = codec;
    this.config = config;
    this.listener = listener;
    this.queue =
        new OutboundQueue(
            moduleId,
            codec,
            overflowRule,
            config.eventQueueFrames(),
            config.eventQueueBytes(),
            relay,
            listener::onEventsDropped,
            counters::eventsSent);
    this.direct = new DirectWriter(moduleId, socket, queue, counters::bytesOut);
    try {
      // room for the control data of a read, so a descriptor the module sends is seen (and
      // refused) instead of being discarded unnoticed by the kernel
      socket.setAncillaryReceiveBufferSize(256);
    } catch (RuntimeException e) {
      LOG.log(
          System.Logger.Level.DEBUG, "module {0}: no ancillary receive buffer: {1}", moduleId, e);
    }
  }

  /** Starts the reader and writer threads. */
  void start() {
    Thread w = new Thread(this::writeLoop, "blvm-" + moduleId + "-writer");
    Thread r = new Thread(this::readLoop, "blvm-" + moduleId + "-reader");
    w.setDaemon(true);
    r.setDaemon(true);
    queue.writerThread(w);
    writer = w;
    reader = r;
    w.start();
    r.start();
  }

  long peerPid() {
    return peerPid;
  }

  /** Frames queued for the module and not yet written (status views). */
  int queuedFrames() {
    return queue.depth();
  }

  boolean isOpen() {
    return !queue.isClosed();
  }

  boolean isAuthenticated() {
    return authenticated;
  }

  /** Called once the hello checked out, before the welcome is queued and the threads start. */
  void markAuthenticated() {
    authenticated = true;
  }

  String closeReason() {
    return queue.closeReason();
  }

  /** The writer waits after a batch (for tests). */
  boolean writerLingering() {
    return queue.writerLingering();
  }

  /** Responses written directly by the thread that produced them (for tests and diagnostics). */
  long directWrites() {
    return direct.directWrites();
  }

  // ------------------------------------------------------------------ sending (never blocks)

  /** Queues a message; false when the connection is closed or its queue overflowed. */
  boolean send(Message m) {
    return settle(queue.offerControl(codec.encodeFrame(m)));
  }

  /** Queues an event with this connection's next sequence number (see {@link OutboundQueue}). */
  boolean sendEvent(SharedEvent event) {
    return settle(queue.offerEvent(event));
  }

  /** Counts {@code n} events dropped before they were queued (see {@link OutboundQueue}). */
  void skipEvents(long n) {
    queue.skipEvents(n);
  }

  /**
   * Sends a dispatcher's answer: written at once by the calling thread when that cannot block
   * ({@link DirectWriter}), else queued. A response may overtake queued events (a different stream
   * with its own sequence numbers) but never a queued welcome, invoke, response or close.
   */
  boolean sendResponse(Reply r) {
    Message.Response m = r.response();
    byte[] frame = m != null ? codec.encodeFrame(m) : codec.encodeResponseFrame(r.id(), r.result());
    if (r.descriptor() != null) {
      // never written directly: the writer sends it, in queue order, with its descriptor
      direct.attach(frame, r.descriptor());
      OutboundQueue.Offer offer = queue.offerControl(frame);
      if (offer != OutboundQueue.Offer.QUEUED) {
        direct.discard(frame);
      }
      return settle(offer);
    }
    switch (direct.tryWrite(frame)) {
      case WRITTEN:
        return true;
      case FAILED:
        if (isOpen()) {
          terminate(direct.failure());
        }
        return false;
      default:
        return settle(queue.offerControl(frame));
    }
  }

  /** Finishes an overflow's disconnect outside the queue's lock; true when the frame was queued. */
  private boolean settle(OutboundQueue.Offer offer) {
    if (offer == OutboundQueue.Offer.OVERFLOWED) {
      listener.onQueueOverflow();
      // closing the socket and failing pending calls complete other connections' futures
      direct.closeSocket();
      failPending();
    }
    return offer == OutboundQueue.Offer.QUEUED;
  }

  /** Sends an invoke and returns the module's answer; fails on timeout or disconnect. */
  CompletableFuture<Message.Response> invoke(
      String method, JsonNode params, String caller, long timeoutMs) {
    long id = nextInvokeId.incrementAndGet();
    CompletableFuture<Message.Response> f = new CompletableFuture<>();
    if (pendingInvokes.size() >= config.maxPendingInvokes()) {
      f.complete(
          Message.Response.error(
              id,
              ErrorValue.of(
                  ErrorCode.RATE_LIMITED,
                  "module "
                      + moduleId
                      + " has "
                      + Integer.toString(pendingInvokes.size())
                      + " calls in flight")));
      return f;
    }
    pendingInvokes.put(id, f);
    if (!send(new Message.Invoke(id, method, params, caller))) {
      pendingInvokes.remove(id);
      f.complete(
          Message.Response.error(
              id,
              ErrorValue.of(ErrorCode.UNAVAILABLE, "module " + moduleId + " is not connected")));
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
                          + moduleId
                          + " did not answer "
                          + method
                          + " within "
                          + Long.toString(timeoutMs)
                          + " ms"));
            });
  }

  // ------------------------------------------------------------------ closing

  /** Sends a close message, lets the writer flush it, then closes the socket. */
  void closeWith(ErrorCode code, String message) {
    byte[] frame = codec.encodeFrame(new Message.Close(code, message));
    if (queue.closeWith(frame, code + ": " + message)) {
      failPending();
    }
  }

  /** Closes at once without a goodbye (peer gone, write failed). */
  void terminate(String reason) {
    queue.abort(reason);
    direct.closeSocket();
    failPending();
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
                    "module " + moduleId + " disconnected before answering")));
      }
    }
  }

  /** Waits (bounded) for both threads to end. */
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
    OutboundBatch batch = new OutboundBatch(codec.direct());
    try {
      // never closed itself: the socket is closed only through the direct writer's guard
      OutputStream o = new BufferedOutputStream(socket.getOutputStream(), 64 * 1024);
      while (true) {
        String dropped = queue.takeBatch(batch);
        if (dropped != null) {
          LOG.log(System.Logger.Level.WARNING, "module {0}: {1}", moduleId, dropped);
        }
        boolean end = direct.writeBatch(o, batch);
        batch.clear();
        if (end) {
          break;
        }
        queue.linger(config.writerLingerNanos());
      }
    } catch (IOException e) {
      if (isOpen()) {
        terminate("write failed: " + e.getMessage());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      direct.closeSocket();
    }
  }

  private void readLoop() {
    try {
      InputStream in = new BufferedInputStream(new SizedReads(socket.getInputStream()), 64 * 1024);
      while (isOpen()) {
        byte[] payload = Frames.read(in, codec.limits().maxFrameBytes());
        if (payload == null) {
          terminate("module closed the connection");
          break;
        }
        counters.bytesIn(payload.length + 4L);
        if (refuseDescriptors()) {
          break;
        }
        handle(codec.decode(payload));
      }
    } catch (ProtocolException e) {
      LOG.log(
          System.Logger.Level.WARNING,
          "module {0}: protocol violation ({1}): {2}",
          moduleId,
          e.reason(),
          e.getMessage());
      listener.onProtocolViolation(this);
      closeWith(ErrorCode.PROTOCOL_ERROR, e.reason() + ": " + e.getMessage());
    } catch (IOException e) {
      terminate(isOpen() ? "read failed: " + e.getMessage() : closeReason());
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.ERROR, "module " + moduleId + ": reader failed", e);
      closeWith(ErrorCode.INTERNAL, "internal error in the node");
    } finally {
      listener.onEnded(this);
    }
  }

  /**
   * A module never sends descriptors to the node (docs/protocol.md): any that came with the bytes
   * read so far are closed at once and the connection is closed as a protocol violation.
   */
  private boolean refuseDescriptors() throws IOException {
    java.io.FileDescriptor[] fds = socket.getReceivedFileDescriptors();
    if (fds == null || fds.length == 0) {
      return false;
    }
    for (java.io.FileDescriptor fd : fds) {
      // closed through its FileDescriptor, which marks it closed: junixsocket would otherwise
      // close the number again with the socket, when it may name another file
      try {
        new java.io.FileInputStream(fd).close();
      } catch (IOException | RuntimeException e) {
        LOG.log(
            System.Logger.Level.WARNING, "module {0}: cannot close a descriptor it sent", moduleId);
      }
    }
    violation("a module may not send file descriptors to the node (" + fds.length + " received)");
    return true;
  }

  private void handle(Message m) {
    if (m instanceof Message.Request r) {
      listener.onRequest(this, r);
    } else if (m instanceof Message.Response r) {
      CompletableFuture<Message.Response> f = pendingInvokes.remove(r.id());
      if (f == null) {
        LOG.log(
            System.Logger.Level.DEBUG,
            "module {0}: response to unknown or expired invoke {1}",
            moduleId,
            Long.toString(r.id()));
      } else {
        f.complete(r);
      }
    } else if (m instanceof Message.Log l) {
      listener.onLog(l);
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
    LOG.log(System.Logger.Level.WARNING, "module {0}: protocol violation: {1}", moduleId, message);
    listener.onProtocolViolation(this);
    closeWith(ErrorCode.PROTOCOL_ERROR, message);
  }
}
