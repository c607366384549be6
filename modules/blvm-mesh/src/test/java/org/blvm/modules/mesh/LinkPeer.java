package org.blvm.modules.mesh;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Another node's side of a link, speaking the link protocol by hand over a real socket: it connects
 * to a mesh's listening port and sends its hello; when reading, every frame it receives lands in
 * {@link #frames} and the end of the connection in {@link #ended}.
 */
final class LinkPeer implements AutoCloseable {
  final BlockingQueue<LinkFrame> frames = new LinkedBlockingQueue<>();
  volatile String ended;
  private final Socket socket;

  private LinkPeer(Socket socket) {
    this.socket = socket;
  }

  /** A peer named {@code nodeId} linked to {@code port}, reading what it is sent. */
  static LinkPeer linked(int port, String nodeId) throws IOException {
    LinkPeer p = connected(port, nodeId);
    Thread t = new Thread(p::readLoop, "blvm-mesh-link-peer");
    t.setDaemon(true);
    t.start();
    return p;
  }

  /** A peer named {@code nodeId} linked to {@code port} that never reads what it is sent. */
  static LinkPeer deaf(int port, String nodeId) throws IOException {
    return connected(port, nodeId);
  }

  private static LinkPeer connected(int port, String nodeId) throws IOException {
    Socket s = new Socket(InetAddress.getLoopbackAddress(), port);
    LinkPeer p = new LinkPeer(s);
    p.send(new LinkFrame.Hello(nodeId));
    return p;
  }

  void send(LinkFrame frame) throws IOException {
    socket.getOutputStream().write(LinkCodec.encode(frame));
    socket.getOutputStream().flush();
  }

  /** The next frame received that is an announcement, within {@code wait}, else null. */
  LinkFrame.Announce nextAnnounce(Duration wait) throws InterruptedException {
    long deadline = System.nanoTime() + wait.toNanos();
    for (long left = wait.toNanos(); left > 0; left = deadline - System.nanoTime()) {
      LinkFrame f = frames.poll(left, TimeUnit.NANOSECONDS);
      if (f instanceof LinkFrame.Announce a) {
        return a;
      }
    }
    return null;
  }

  private void readLoop() {
    try {
      InputStream in = socket.getInputStream();
      while (true) {
        frames.add(LinkCodec.read(in));
      }
    } catch (IOException e) {
      ended = String.valueOf(e.getMessage());
    }
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
