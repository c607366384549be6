package org.blvm.loader;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import java.io.FileDescriptor;
import java.io.IOException;
import java.io.OutputStream;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongConsumer;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.FileDescriptorCast;

/**
 * The one owner of a connection socket's output: the writer thread's batches and direct response
 * writes, and the close of the socket.
 *
 * <p>A direct write is made by the thread that produced a small response, instead of handing it to
 * the writer, only when it cannot block: the frame is at most min(4 KiB, SO_SNDBUF / 8) bytes, no
 * control frame queued earlier is unwritten, the write lock is free ({@code tryLock}), no earlier
 * batch failed, and {@code send(2)} with {@code MSG_DONTWAIT} ({@link SocketSend}) takes the whole
 * frame. Otherwise the caller queues the frame. The writer holds the lock for a whole batch and
 * flushes before it releases it, so a direct write never lands inside a batch.
 *
 * <p>A frame that carries a descriptor (the answer to {@code net_connect} or {@code net_listen}) is
 * never written directly: it is queued like any control frame, with its descriptor {@link
 * #attach}ed, and the writer, reaching it in its batch, flushes the frames before it and writes it
 * with one {@code write} whose first {@code sendmsg} carries the descriptor (SCM_RIGHTS) and the
 * frame's first byte; then it closes the loader's copy. A descriptor whose frame is dropped (the
 * connection closed) is closed with the socket.
 *
 * <p>The socket is closed through a {@link DescriptorGuard}: never while a direct send uses its
 * descriptor number, and exactly once.
 */
final class DirectWriter {
  private static final System.Logger LOG = System.getLogger("blvm.loader.connection");

  /** Upper bound of a directly written frame; the socket's send buffer lowers it. */
  private static final int DIRECT_MAX_BYTES = 4096;

  /** What became of a direct write. */
  enum Result {
    WRITTEN,
    /** The send failed: the connection must be given up ({@link #failure}). */
    FAILED,
    /** Not written; queue the frame. */
    NOT_NOW
  }

  private final String moduleId;
  private final AFUNIXSocket socket;
  private final OutboundQueue queue;

  /** Serialises every write to the socket; only the writer thread ever waits for it. */
  private final ReentrantLock writeLock = new ReentrantLock();

  /** A write of the writer failed, maybe inside a frame: nothing may follow it. */
  @GuardedBy("writeLock")
  private boolean streamBroken;

  /** The socket's descriptor for {@link SocketSend}, or -1: then nothing is written directly. */
  private final int fd;

  private final int directMaxBytes;
  private final DescriptorGuard fdGuard;
  private final AtomicLong directWrites = new AtomicLong();
  private final LongConsumer bytesWritten;

  /** Queued frames that carry a descriptor, by identity: the writer sends each with its frame. */
  private final Map<byte[], PassedDescriptor> descriptors = new ConcurrentHashMap<>();

  /** Why the last direct write failed (read by the caller after {@link Result#FAILED}). */
  private volatile String failure;

  /**
   * @param bytesWritten told the size of every frame written (batches and direct writes)
   */
  DirectWriter(
      String moduleId, AFUNIXSocket socket, OutboundQueue queue, LongConsumer bytesWritten) {
    this.moduleId = moduleId;
    this.bytesWritten = bytesWritten;
    this.socket = socket;
    this.queue = queue;
    this.fdGuard = new DescriptorGuard(this::closeNow);
    int nativeFd = -1;
    int max = 0;
    if (SocketSend.available()) {
      try {
        nativeFd = FileDescriptorCast.using(socket.getFileDescriptor()).as(Integer.class);
        max = Math.min(DIRECT_MAX_BYTES, socket.getSendBufferSize() / 8);
      } catch (IOException | RuntimeException e) {
        LOG.log(
            System.Logger.Level.DEBUG,
            "module {0}: no direct response writes (cannot read the socket''s fd: {1})",
            moduleId,
            e.toString());
        nativeFd = -1;
      }
    }
    this.fd = nativeFd;
    this.directMaxBytes = max;
  }

  /** Writes {@code frame} now if that cannot block (see the class comment). */
  Result tryWrite(byte[] frame) {
    if (fd < 0
        || frame.length > directMaxBytes
        || queue.controlPending()
        || queue.isClosed()
        || !writeLock.tryLock()) {
      return Result.NOT_NOW;
    }
    try {
      // re-checked under the lock: the writer clears the pending control frame only holding it
      if (streamBroken || queue.controlPending() || queue.isClosed() || !fdGuard.enter()) {
        return Result.NOT_NOW;
      }
      long sent;
      try {
        sent = SocketSend.sendNow(fd, frame);
      } finally {
        fdGuard.exit();
      }
      if (sent == SocketSend.WOULD_BLOCK) {
        return Result.NOT_NOW;
      }
      if (sent != frame.length) {
        // the rest of the frame could not follow in order without waiting: give the stream up
        failure = "partial direct write (" + sent + " of " + frame.length + " bytes)";
        return Result.FAILED;
      }
      directWrites.incrementAndGet();
      bytesWritten.accept(sent);
      return Result.WRITTEN;
    } catch (SocketSend.SendException e) {
      failure = "write failed: " + e.getMessage();
      return Result.FAILED;
    } finally {
      writeLock.unlock();
    }
  }

  /** Why the last direct write failed. */
  String failure() {
    return failure;
  }

  /**
   * Writes one batch of the writer thread under the write lock and flushes it. Returns true when
   * the batch ended with {@link OutboundQueue#END} (nothing after it is written).
   */
  // streamBroken is written in the finally block before the unlock, under the lock; the checker
  // does not follow the lock into that finally
  @SuppressWarnings("GuardedBy")
  boolean writeBatch(OutputStream o, OutboundBatch batch) throws IOException {
    boolean end = false;
    boolean written = false;
    long bytes = 0;
    boolean withDescriptors = !descriptors.isEmpty();
    writeLock.lock();
    try {
      for (int i = 0; i < batch.size(); i++) {
        if (batch.isEvent(i)) {
          bytes += batch.writeEvent(i, o);
          continue;
        }
        byte[] frame = batch.frame(i);
        if (frame == OutboundQueue.END) {
          end = true;
          break;
        }
        PassedDescriptor d = withDescriptors ? descriptors.remove(frame) : null;
        if (d == null) {
          o.write(frame);
        } else {
          o.flush(); // the frames before it go first, without the descriptor
          writeWithDescriptor(frame, d);
        }
        queue.written(frame);
        bytes += frame.length;
      }
      o.flush();
      written = true;
    } finally {
      streamBroken = !written;
      writeLock.unlock();
    }
    bytesWritten.accept(bytes);
    return end;
  }

  /**
   * Caller holds writeLock, with nothing buffered. One {@code write} of the whole frame:
   * junixsocket sends the descriptor with its first {@code sendmsg}, which carries the frame's
   * first byte (the kernel attaches ancillary data to the first byte of the data it came with).
   */
  private void writeWithDescriptor(byte[] frame, PassedDescriptor d) throws IOException {
    assert writeLock.isHeldByCurrentThread();
    try {
      socket.setOutboundFileDescriptors(d.fileDescriptor());
      socket.getOutputStream().write(frame);
    } finally {
      socket.setOutboundFileDescriptors((FileDescriptor[]) null); // never onto a later write
      d.close(); // the kernel holds its own reference from the sendmsg on
    }
  }

  /**
   * {@code frame} will be queued carrying {@code d}: attach before queueing it, so the writer finds
   * the descriptor when it takes the frame.
   */
  void attach(byte[] frame, PassedDescriptor d) {
    descriptors.put(frame, d);
  }

  /** {@code frame} was not queued (the connection is closed): its descriptor is closed. */
  void discard(byte[] frame) {
    PassedDescriptor d = descriptors.remove(frame);
    if (d != null) {
      d.close();
    }
  }

  /** Responses written directly (for tests and diagnostics). */
  long directWrites() {
    return directWrites.get();
  }

  /** Closes the socket now, or as soon as no direct send is in flight. Never blocks. */
  void closeSocket() {
    fdGuard.close();
  }

  private void closeNow() {
    try {
      socket.close();
    } catch (IOException e) {
      LOG.log(System.Logger.Level.DEBUG, "closing socket of {0}: {1}", moduleId, e);
    }
    // frames dropped with the queue never reach the writer: their descriptors end here
    for (byte[] frame : List.copyOf(descriptors.keySet())) {
      discard(frame);
    }
  }
}
