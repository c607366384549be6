package org.blvm.bench;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;

/**
 * The baseline: a length-prefixed ping-pong over a raw Unix socket with the same frame sizes as a
 * get_chain_tip request and response, with no decoding, dispatch or encoding.
 */
final class RawPingPong {
  private RawPingPong() {}

  /** Serves one client: reads a frame, answers a frame of {@code responseBytes}, until EOF. */
  static Thread serve(Path socket, int responseBytes) throws IOException {
    ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    server.bind(UnixDomainSocketAddress.of(socket));
    Thread t =
        new Thread(
            () -> {
              try (server;
                  SocketChannel c = server.accept()) {
                ByteBuffer header = ByteBuffer.allocate(4);
                ByteBuffer body = ByteBuffer.allocate(1 << 16);
                ByteBuffer response = ByteBuffer.allocate(4 + responseBytes);
                response.putInt(responseBytes);
                while (true) {
                  header.clear();
                  if (!readFully(c, header)) {
                    return;
                  }
                  body.clear().limit(header.getInt(0));
                  if (!readFully(c, body)) {
                    return;
                  }
                  response.clear();
                  while (response.hasRemaining()) {
                    c.write(response);
                  }
                }
              } catch (IOException e) {
                // client gone
              }
            },
            "bench-raw-server");
    t.setDaemon(true);
    t.start();
    return t;
  }

  /** Client side: one connection, measured in rounds interleaved with the SDK's. */
  static final class Client implements AutoCloseable {
    private final SocketChannel c;
    private final ByteBuffer request;
    private final ByteBuffer header = ByteBuffer.allocate(4);
    private final ByteBuffer body = ByteBuffer.allocate(1 << 16);

    Client(Path socket, int requestBytes) throws IOException {
      c = SocketChannel.open(UnixDomainSocketAddress.of(socket));
      request = ByteBuffer.allocate(4 + requestBytes);
      request.putInt(requestBytes);
    }

    /** {@code n} round trips into {@code samples} from {@code offset} (null: unmeasured). */
    void round(long[] samples, int offset, int n) throws IOException {
      for (int i = 0; i < n; i++) {
        long t0 = System.nanoTime();
        request.clear();
        while (request.hasRemaining()) {
          c.write(request);
        }
        header.clear();
        readFully(c, header);
        body.clear().limit(header.getInt(0));
        readFully(c, body);
        if (samples != null) {
          samples[offset + i] = System.nanoTime() - t0;
        }
      }
    }

    @Override
    public void close() throws IOException {
      c.close();
    }
  }

  private static boolean readFully(SocketChannel c, ByteBuffer b) throws IOException {
    while (b.hasRemaining()) {
      if (c.read(b) < 0) {
        return false;
      }
    }
    return true;
  }
}
