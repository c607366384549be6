package org.blvm.testsupport;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;

/**
 * A loopback TCP port held for a test until closed, free of the race of "pick a free port, close
 * it, hope nobody takes it before the code under test binds it". The port is bound by a socket with
 * {@code SO_REUSEADDR} that never listens: on Linux no other socket can bind the port unless it
 * sets {@code SO_REUSEADDR} too and nothing listens on the port yet, so the ephemeral ports of
 * other processes' connections and their plain binds keep off it, while the loader's network broker
 * (which binds with {@code SO_REUSEADDR}) binds it and listens on it. Until someone listens, a
 * connection to it is refused, as to a closed port.
 */
public final class ReservedPort implements AutoCloseable {
  private final Socket holder;

  private ReservedPort(Socket holder) {
    this.holder = holder;
  }

  /** Reserves a port the kernel picks on the loopback address. */
  public static ReservedPort loopback() throws IOException {
    Socket s = new Socket();
    try {
      s.setReuseAddress(true);
      s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      return new ReservedPort(s);
    } catch (IOException | RuntimeException e) {
      s.close();
      throw e;
    }
  }

  public int port() {
    return holder.getLocalPort();
  }

  @Override
  public void close() throws IOException {
    holder.close();
  }
}
