package org.blvm.loader;

import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;

/**
 * A hostile module (run as its own process): for at most {@code args[0]} seconds (default 120) it
 * connects to its own socket again and again and sends garbage instead of a hello, reading whatever
 * the node answers. Only the JDK: no SDK, no junixsocket.
 */
public final class ConnectionHog {
  private ConnectionHog() {}

  public static void main(String[] args) throws Exception {
    Path socket = Path.of(System.getenv("BLVM_SOCKET"));
    long end =
        System.nanoTime() + Long.parseLong(args.length > 0 ? args[0] : "120") * 1_000_000_000L;
    ByteBuffer in = ByteBuffer.allocate(4096);
    while (System.nanoTime() < end) {
      try (SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
        ch.write(ByteBuffer.wrap(new byte[] {0x7f, (byte) 0xff, (byte) 0xff, (byte) 0xff}));
        while (ch.read(in.clear()) > 0) {
          // until the node closes it
        }
      } catch (IOException e) {
        Thread.sleep(1); // refused (backlog full, or the socket is gone)
      }
    }
  }
}
