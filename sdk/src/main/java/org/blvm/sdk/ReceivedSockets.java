package org.blvm.sdk;

import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.IOException;
import java.net.Socket;
import java.nio.channels.ServerSocketChannel;
import org.newsclub.net.unix.AFServerSocketChannel;
import org.newsclub.net.unix.AFSocket;
import org.newsclub.net.unix.FileDescriptorCast;

/**
 * Turns a descriptor the node handed over into a JDK socket (junixsocket's {@link
 * FileDescriptorCast}). Closing the socket closes the descriptor: a cast socket alone would only
 * shut the connection down and keep the descriptor open.
 */
final class ReceivedSockets {
  private ReceivedSockets() {}

  /** A connected TCP socket; the caller owns {@code fd}, which is closed when this throws. */
  static Socket socket(FileDescriptor fd) throws IOException {
    try {
      Socket s = FileDescriptorCast.using(fd).as(Socket.class);
      ((AFSocket<?>) s).addCloseable(() -> new FileInputStream(fd).close());
      return s;
    } catch (IOException | RuntimeException e) {
      IncomingFrames.closeAll(new FileDescriptor[] {fd});
      throw e;
    }
  }

  /** A listening TCP socket; the caller owns {@code fd}, which is closed when this throws. */
  static ServerSocketChannel serverChannel(FileDescriptor fd) throws IOException {
    try {
      ServerSocketChannel c = FileDescriptorCast.using(fd).as(ServerSocketChannel.class);
      ((AFServerSocketChannel<?>) c).socket().addCloseable(() -> new FileInputStream(fd).close());
      return c;
    } catch (IOException | RuntimeException e) {
      IncomingFrames.closeAll(new FileDescriptor[] {fd});
      throw e;
    }
  }
}
