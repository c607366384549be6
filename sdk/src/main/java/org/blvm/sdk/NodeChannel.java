package org.blvm.sdk;

import java.io.Closeable;
import java.io.FileDescriptor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.blvm.protocol.Codec;
import org.blvm.protocol.Frames;
import org.blvm.protocol.Message;
import org.newsclub.net.unix.AFUNIXSelectorProvider;
import org.newsclub.net.unix.AFUNIXSocketAddress;
import org.newsclub.net.unix.AFUNIXSocketChannel;

/**
 * The client's socket: non-blocking, with one selector for reading (used only by the holder of the
 * client's read lock, see {@link ResponseReader}) and one for writing (used only under {@link
 * #writeLock}). {@link #send} writes whole frames under {@link #writeLock}, the only lock held
 * across a write; nothing is written after a frame that was cut off.
 *
 * <p>A junixsocket channel (with junixsocket's own selectors), not the JDK's UNIX-domain channel:
 * the node hands over sockets as descriptors on its answers to {@code net_connect} and {@code
 * net_listen} (SCM_RIGHTS), which the JDK's channel cannot receive. Every read has room for a few
 * descriptors; those that arrive go to {@link IncomingFrames#received}.
 */
final class NodeChannel {
  /** Longest wait of the last close message, for the lock and for room in the socket. */
  private static final long CLOSE_WRITE_WAIT_MS = 250;

  /** Bound of one wait for a full socket to drain, between checks for a closed client. */
  private static final long WRITE_WAIT_SLICE_MS = 100;

  /** Room for descriptors on every read: one is expected, more are received and closed. */
  private static final int ANCILLARY_BYTES = 256;

  private final AFUNIXSocketChannel channel;

  /** Readiness to read; selected on only by the holder of the client's read lock. */
  private final Selector readSelector;

  /** Readiness to write; selected on only by the holder of {@link #writeLock}. */
  private final Selector writeSelector;

  private final ReentrantLock writeLock = new ReentrantLock();

  /** Guarded by writeLock: a write gave up inside a frame, so no further frame may follow. */
  private boolean streamBroken;

  private final Codec codec;
  private final Lifecycle life;

  private NodeChannel(AFUNIXSocketChannel channel, Codec codec, Lifecycle life) throws IOException {
    this.channel = channel;
    this.codec = codec;
    this.life = life;
    channel.configureBlocking(false);
    channel.setAncillaryReceiveBufferSize(ANCILLARY_BYTES);
    this.readSelector = AFUNIXSelectorProvider.provider().openSelector();
    try {
      this.writeSelector = AFUNIXSelectorProvider.provider().openSelector();
    } catch (IOException e) {
      readSelector.close();
      throw e;
    }
    channel.register(readSelector, SelectionKey.OP_READ);
    channel.register(writeSelector, SelectionKey.OP_WRITE);
  }

  /** Connects to the node's socket; nothing is left open when this throws. */
  static NodeChannel connect(Path socket, Codec codec, Lifecycle life)
      throws ModuleConnectException {
    AFUNIXSocketChannel channel;
    try {
      channel = AFUNIXSocketChannel.open();
    } catch (IOException | LinkageError e) {
      // LinkageError: junixsocket's native library could not be loaded (java.io.tmpdir must be
      // writable, or org.newsclub.net.unix.library.tmpdir set)
      throw new ModuleConnectException(
          ModuleConnectException.Reason.IO, "cannot open a UNIX-domain socket: " + e, null, e);
    }
    try {
      channel.connect(AFUNIXSocketAddress.of(socket));
    } catch (IOException e) {
      closeQuietly(channel);
      throw new ModuleConnectException(
          ModuleConnectException.Reason.IO,
          "cannot connect to the node at " + socket + ": " + e,
          null,
          e);
    }
    try {
      return new NodeChannel(channel, codec, life);
    } catch (IOException e) {
      closeQuietly(channel);
      throw new ModuleConnectException(
          ModuleConnectException.Reason.IO, "cannot set up the connection: " + e, null, e);
    }
  }

  /**
   * Encodes outside the lock, then writes the whole frame under {@link #writeLock}, waiting for
   * room while the client is open.
   *
   * @throws FrameTooLargeException when the message exceeds the frame limit (nothing is written)
   * @throws IOException when the connection is broken or closed
   */
  void send(Message m) throws IOException {
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
    assert writeLock.isHeldByCurrentThread();
    if (life.isClosed()) {
      throw new ClosedChannelException();
    }
    try {
      writeSelector.select(WRITE_WAIT_SLICE_MS);
      writeSelector.selectedKeys().clear();
    } catch (ClosedSelectorException e) {
      throw new ClosedChannelException();
    }
  }

  /**
   * Best effort, at most {@link #CLOSE_WRITE_WAIT_MS}: a sender stuck on a full socket, or a node
   * that does not read, must not stop the close; nothing is written after a half-written frame.
   */
  void sendLast(Message.Close last) {
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

  /**
   * Caller holds the client's read lock. One non-blocking read into {@code incoming}.
   *
   * @return the bytes read, 0 when none are available, -1 at the end of the stream
   */
  int read(IncomingFrames incoming) throws IOException {
    int n = incoming.readFrom(channel);
    if (n > 0) {
      FileDescriptor[] fds = channel.getReceivedFileDescriptors();
      if (fds != null && fds.length > 0) {
        incoming.received(fds, n);
      }
    }
    return n;
  }

  /**
   * Caller holds the client's read lock. Waits until bytes can be read, {@link #wakeReader} is
   * called or {@code waitMs} pass (0: no limit).
   *
   * @throws ClosedSelectorException when the channel closed meanwhile
   */
  void awaitReadable(long waitMs) throws IOException {
    readSelector.select(waitMs);
    readSelector.selectedKeys().clear();
  }

  /** Ends a wait in {@link #awaitReadable} (a caller wants the read lock). */
  void wakeReader() {
    readSelector.wakeup();
  }

  /**
   * Closes the socket and both selectors, which wakes a reader waiting for bytes and a sender
   * waiting for room; the descriptor is released once both selectors have let go of it.
   */
  void close() {
    closeQuietly(channel);
    closeQuietly(readSelector);
    closeQuietly(writeSelector);
  }

  private static void closeQuietly(Closeable c) {
    try {
      c.close();
    } catch (IOException e) {
      // nothing more to do
    }
  }

  /** A message too large for one frame; nothing of it was written. */
  static final class FrameTooLargeException extends IOException {
    private static final long serialVersionUID = 1L;

    FrameTooLargeException(String message) {
      super(message);
    }
  }
}
