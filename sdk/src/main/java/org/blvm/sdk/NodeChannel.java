package org.blvm.sdk;

import java.io.Closeable;
import java.io.FileDescriptor;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
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
 *
 * <p>Reads and writes go through the socket's streams, not the channel: a channel read or write is
 * interruptible (an interrupt that hits it closes the channel), a stream read or write is not, so a
 * caller reading its own answer or sending its request can be interrupted without the connection
 * being lost. On the non-blocking socket a stream read returns 0 when nothing is waiting, like the
 * channel's. The stream's write, though, retries until the whole array is written, so it would spin
 * on a full socket: a frame is written with it directly only when the socket's send buffer
 * certainly has room for it ({@link #hasRoomFor}), else through {@link #writeSome}, which asks the
 * write selector first and waits for room. Two behaviours of junixsocket's selector are handled
 * here: {@code select(0)} does not wait (a wait without limit is {@code select()}), and when the
 * node hangs up the selector cancels the key, reports it once and then never again; the hang-up is
 * remembered ({@link #hungUp}) and reads then end at the end of the stream.
 *
 * <p><b>Room without asking.</b> The kernel lets a write into a UNIX stream socket proceed while
 * the memory charged to the sender for queued, unread bytes is below the send buffer size ({@code
 * SO_SNDBUF}), and releases each write's charge once the peer has read all of it. Every write is
 * counted here at a bound of that charge ({@link #chargeOf}: twice its bytes plus {@link
 * #WRITE_OVERHEAD_BYTES}), and the running total is remembered at the end of each frame ({@link
 * #send} returns it). The node answers a request only after reading it, and reads the stream in
 * order, so when an answer arrives everything written up to the end of that request has been read
 * ({@link #nodeReadUpTo}). What is charged and not known to be read, plus the next frame, staying
 * within half the send buffer means the frame fits: one {@code send}, no {@code poll}. A module
 * calling in a loop always finds its previous request answered.
 *
 * <p>Over 400 lines: the socket's two selectors, the write accounting and the descriptor-carrying
 * reads share one socket's state and its hang-up rule.
 */
final class NodeChannel {
  /** Longest wait of the last close message, for the lock and for room in the socket. */
  private static final long CLOSE_WRITE_WAIT_MS = 250;

  /** Bound of one wait for a full socket to drain, between checks for a closed client. */
  private static final long WRITE_WAIT_SLICE_MS = 100;

  /** The least {@link #writeSome} writes at once, whatever the send buffer reports. */
  private static final int MIN_WRITE_BYTES = 256;

  /**
   * Bound of the kernel's bookkeeping per write beyond twice its bytes (the socket buffer's header
   * and shared info, and the rounding of its allocation), used by {@link #chargeOf}.
   */
  static final int WRITE_OVERHEAD_BYTES = 8192;

  /** Room for descriptors on every read: one is expected, more are received and closed. */
  private static final int ANCILLARY_BYTES = 256;

  private final AFUNIXSocketChannel channel;

  /** The socket's input as a byte channel whose reads no interrupt affects. */
  private final ReadableByteChannel input;

  /** The socket's output; written only by {@link #writeSome}. */
  private final OutputStream output;

  /** The most {@link #writeSome} writes at once: an eighth of the socket's send buffer. */
  private final int safeWriteBytes;

  /** Readiness to read; selected on only by the holder of the client's read lock. */
  private final Selector readSelector;

  private final SelectionKey readKey;
  private final SelectionKey writeKey;

  /**
   * Set by the holder of the read lock: the node hung up (the read key was cancelled); no further
   * wait for readiness, and a read that finds nothing is the end of the stream.
   */
  private boolean hungUp;

  /** Readiness to write; selected on only by the holder of {@link #writeLock}. */
  private final Selector writeSelector;

  private final ReentrantLock writeLock = new ReentrantLock();

  /** Guarded by writeLock: a write gave up inside a frame, so no further frame may follow. */
  private boolean streamBroken;

  /** Guarded by writeLock: the bound of the charge of every write so far ({@link #chargeOf}). */
  private long charged;

  /** The largest {@link #charged} mark whose bytes the node is known to have read. */
  private final AtomicLong readByNode = new AtomicLong();

  /**
   * Half the socket's send buffer: the most that may be charged and unread after a direct write.
   */
  private final long directWriteBudget;

  private final Codec codec;
  private final RequestFrames requests;
  private final Lifecycle life;

  private NodeChannel(AFUNIXSocketChannel channel, Codec codec, Lifecycle life) throws IOException {
    this.channel = channel;
    this.codec = codec;
    this.requests = new RequestFrames(codec);
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
    this.readKey = channel.register(readSelector, SelectionKey.OP_READ);
    this.writeKey = channel.register(writeSelector, SelectionKey.OP_WRITE);
    this.input = new StreamInput(channel.socket().getInputStream());
    this.output = channel.socket().getOutputStream();
    int sendBuffer = channel.getOption(StandardSocketOptions.SO_SNDBUF);
    this.safeWriteBytes = Math.max(MIN_WRITE_BYTES, sendBuffer / 8);
    this.directWriteBudget = sendBuffer / 2;
  }

  /** A connected channel (tests: one end of a socket pair). */
  static NodeChannel over(AFUNIXSocketChannel channel, Codec codec, Lifecycle life)
      throws IOException {
    return new NodeChannel(channel, codec, life);
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
   * @return the mark at the end of this frame: once the node has answered it, pass it to {@link
   *     #nodeReadUpTo}
   * @throws FrameTooLargeException when the message exceeds the frame limit (nothing is written)
   * @throws IOException when the connection is broken or closed
   */
  long send(Message m) throws IOException {
    return sendFrame(Frames.frame(codec.encode(m)), m.kind());
  }

  /**
   * A request's whole frame, encoded without a tree ({@link RequestFrames}), for {@link
   * #sendFrame}.
   */
  byte[] requestFrame(long id, String method, Object params) {
    return requests.frame(id, method, params);
  }

  /** {@link #send} of an encoded frame (length prefix included) of a message of this kind. */
  long sendFrame(byte[] encoded, String kind) throws IOException {
    int payloadBytes = encoded.length - Frames.HEADER_BYTES;
    if (payloadBytes > codec.limits().maxFrameBytes()) {
      throw new FrameTooLargeException(
          kind
              + " of "
              + payloadBytes
              + " bytes exceeds the frame limit of "
              + codec.limits().maxFrameBytes());
    }
    ByteBuffer frame = ByteBuffer.wrap(encoded);
    // writeSome is not interruptible; a pending interrupt would only cut the waits for room
    // short, so it is set aside for the write and restored after
    boolean interrupted = Thread.interrupted();
    writeLock.lock();
    try {
      if (streamBroken) {
        throw new ClosedChannelException();
      }
      try {
        if (hasRoomFor(frame.remaining())) {
          writeDirect(frame);
        }
        while (frame.hasRemaining()) {
          if (writeSome(frame) == 0) {
            awaitWritable();
            interrupted |= Thread.interrupted();
          }
        }
      } catch (IOException | RuntimeException e) {
        streamBroken |= frame.position() > 0;
        throw e;
      }
      return charged;
    } finally {
      writeLock.unlock();
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /**
   * The node has answered the frame whose {@link #send} returned {@code mark}, so it has read
   * everything written up to there (see the class comment). Any thread.
   */
  void nodeReadUpTo(long mark) {
    readByNode.accumulateAndGet(mark, Math::max);
  }

  /** Bound of what the kernel charges the sender for a write of {@code bytes} until it is read. */
  static long chargeOf(int bytes) {
    return 2L * bytes + WRITE_OVERHEAD_BYTES;
  }

  /**
   * Caller holds writeLock. Whether a write of {@code bytes} certainly fits in the send buffer now:
   * what is charged and not known to be read, plus this write, stays within {@link
   * #directWriteBudget}.
   */
  private boolean hasRoomFor(int bytes) {
    assert writeLock.isHeldByCurrentThread();
    return charged - readByNode.get() + chargeOf(bytes) <= directWriteBudget;
  }

  /**
   * Caller holds writeLock and {@link #hasRoomFor} the whole of {@code frame}: one write through
   * the socket's output stream, which the socket takes whole.
   */
  private void writeDirect(ByteBuffer frame) throws IOException {
    assert writeLock.isHeldByCurrentThread();
    int n = frame.remaining();
    charged += chargeOf(n);
    output.write(frame.array(), frame.arrayOffset() + frame.position(), n);
    frame.position(frame.position() + n);
  }

  /**
   * Caller holds writeLock. Writes as much of {@code frame} as the socket takes without waiting:
   * nothing when it is not writable, else at most {@link #safeWriteBytes}, which a writable UNIX
   * stream socket takes whole (writable means at most a quarter of its send buffer is in use, and a
   * write of up to an eighth fits beside it). The write goes through the socket's output stream,
   * which no interrupt affects (a channel write that an interrupt hits closes the channel).
   *
   * @return the bytes written
   * @throws ClosedChannelException when the node hung up
   */
  private int writeSome(ByteBuffer frame) throws IOException {
    assert writeLock.isHeldByCurrentThread();
    int ready;
    try {
      ready = writeSelector.selectNow();
      writeSelector.selectedKeys().clear();
    } catch (ClosedSelectorException e) {
      throw new ClosedChannelException();
    }
    if (!writeKey.isValid()) {
      throw new ClosedChannelException(); // closed, or the node hung up
    }
    if (ready == 0) {
      return 0;
    }
    int n = Math.min(frame.remaining(), safeWriteBytes);
    charged += chargeOf(n);
    output.write(frame.array(), frame.arrayOffset() + frame.position(), n);
    frame.position(frame.position() + n);
    return n;
  }

  /** Caller holds writeLock; the socket's send buffer is full. */
  private void awaitWritable() throws IOException {
    assert writeLock.isHeldByCurrentThread();
    if (life.isClosed() || !writeKey.isValid()) {
      throw new ClosedChannelException(); // closed, or the node hung up
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
            if (writeSome(b) == 0) {
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
    int n = incoming.readFrom(input);
    if (n == 0 && hungUp) {
      return -1;
    }
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
   * called or {@code waitMs} pass (0: no limit); returns at once after the node hung up.
   *
   * @throws ClosedSelectorException when the channel closed meanwhile
   */
  void awaitReadable(long waitMs) throws IOException {
    if (hungUp) {
      return;
    }
    if (waitMs == 0) {
      readSelector.select();
    } else {
      readSelector.select(waitMs);
    }
    readSelector.selectedKeys().clear();
    hungUp = !readKey.isValid();
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

  /**
   * Reads into heap buffers through a socket input stream (the buffers {@link IncomingFrames}
   * passes are always heap buffers).
   */
  private static final class StreamInput implements ReadableByteChannel {
    private final InputStream in;

    StreamInput(InputStream in) {
      this.in = in;
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
      int n = in.read(dst.array(), dst.arrayOffset() + dst.position(), dst.remaining());
      if (n > 0) {
        dst.position(dst.position() + n);
      }
      return n;
    }

    @Override
    public boolean isOpen() {
      return true;
    }

    @Override
    public void close() {
      // the channel owns the socket
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
