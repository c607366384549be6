package org.blvm.modules.mesh;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One link to another node's blvm-mesh: a TCP connection the node brokered (dialled or accepted), a
 * reader thread ({@code blvm-mesh-link-reader}) that reads the hello and then hands each frame to
 * the {@link Listener}, and a writer thread ({@code blvm-mesh-link-writer}) draining a bounded
 * queue, so no caller ever blocks on the network. {@link #close()} is idempotent; the listener
 * learns of the end once.
 */
final class Link implements AutoCloseable {
  /** Frames waiting to be written; {@link #send} refuses beyond it. */
  static final int QUEUE = 256;

  /** What the mesh does with a link's frames and its end. */
  interface Listener {
    /** The peer's hello arrived; return false to refuse the link (it is then closed). */
    boolean onHello(Link link, String peerId);

    void onFrame(Link link, LinkFrame frame);

    /** The link ended; called once, whether its hello was accepted ({@link #peerId()}) or not. */
    void onClosed(Link link, String why);
  }

  private static final LinkFrame STOP = new LinkFrame.Hello("stop");

  private final String name;
  private final InputStream in;
  private final OutputStream out;
  private final Closeable connection;
  private final Listener listener;
  private final BlockingQueue<LinkFrame> queue = new ArrayBlockingQueue<>(QUEUE);
  private final AtomicBoolean closed = new AtomicBoolean();
  private final CountDownLatch ended = new CountDownLatch(1);
  private volatile String peerId;
  private volatile String why = "closed";
  private volatile long lastHeardNanos = System.nanoTime();

  /**
   * @param name how the link is named in logs ({@code "to 127.0.0.1:7001"}, {@code "accepted"})
   */
  Link(String name, InputStream in, OutputStream out, Closeable connection, Listener listener) {
    this.name = name;
    this.in = new BufferedInputStream(in);
    this.out = new BufferedOutputStream(out);
    this.connection = connection;
    this.listener = listener;
  }

  /** Sends {@code hello} first and starts both threads. */
  void start(LinkFrame.Hello hello) {
    queue.add(hello);
    Thread reader = new Thread(this::readLoop, "blvm-mesh-link-reader");
    Thread writer = new Thread(this::writeLoop, "blvm-mesh-link-writer");
    reader.setDaemon(true);
    writer.setDaemon(true);
    writer.start();
    reader.start();
  }

  String name() {
    return name;
  }

  /** The peer's node id once its hello arrived, else null. */
  String peerId() {
    return peerId;
  }

  boolean isOpen() {
    return !closed.get();
  }

  /** Nanoseconds ({@link System#nanoTime()}) when the last frame arrived, or the link began. */
  long lastHeardNanos() {
    return lastHeardNanos;
  }

  /** Queues {@code frame}; false when the link is closed or its queue is full. */
  boolean send(LinkFrame frame) {
    return !closed.get() && queue.offer(frame);
  }

  /** Closes the link, giving {@code reason} to the listener (unless it already ended). */
  void close(String reason) {
    if (closed.compareAndSet(false, true)) {
      why = reason;
      queue.clear();
      queue.offer(STOP);
      try {
        connection.close();
      } catch (IOException e) {
        // closing: nothing more to do with it
      }
    }
  }

  /** Waits until the reader ended (and the listener learnt of it). */
  void awaitEnd() throws InterruptedException {
    ended.await();
  }

  @Override
  public void close() {
    close("closed");
  }

  /** A link over an accepted socket channel (blocking), read and written by separate threads. */
  static Link over(String name, SocketChannel ch, Listener listener) {
    InputStream in =
        new InputStream() {
          @Override
          public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
          }

          @Override
          public int read(byte[] b, int off, int len) throws IOException {
            return len == 0 ? 0 : ch.read(ByteBuffer.wrap(b, off, len));
          }
        };
    OutputStream out =
        new OutputStream() {
          @Override
          public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
          }

          @Override
          public void write(byte[] b, int off, int len) throws IOException {
            ByteBuffer buf = ByteBuffer.wrap(b, off, len);
            while (buf.hasRemaining()) {
              ch.write(buf);
            }
          }
        };
    return new Link(name, in, out, ch, listener);
  }

  private void readLoop() {
    try {
      LinkFrame first = LinkCodec.read(in);
      if (!(first instanceof LinkFrame.Hello h)) {
        throw new LinkCodec.MalformedFrameException("the first frame is not a hello");
      }
      lastHeardNanos = System.nanoTime();
      if (!listener.onHello(this, h.nodeId())) {
        close("refused by this node");
        return;
      }
      peerId = h.nodeId();
      while (!closed.get()) {
        LinkFrame f = LinkCodec.read(in);
        lastHeardNanos = System.nanoTime();
        if (f instanceof LinkFrame.Hello) {
          throw new LinkCodec.MalformedFrameException("a second hello");
        }
        listener.onFrame(this, f);
      }
    } catch (IOException e) {
      close(closed.get() ? why : String.valueOf(e.getMessage()));
    } finally {
      close(why);
      listener.onClosed(this, why);
      ended.countDown();
    }
  }

  private void writeLoop() {
    try {
      while (true) {
        LinkFrame f = queue.poll(1, TimeUnit.SECONDS);
        if (f == STOP || closed.get()) {
          return;
        }
        if (f != null) {
          LinkCodec.write(out, f);
        }
      }
    } catch (IOException e) {
      close("write failed: " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
