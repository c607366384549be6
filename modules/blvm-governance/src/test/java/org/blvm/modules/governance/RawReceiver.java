package org.blvm.modules.governance;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.CompletableFuture;

/**
 * A receiver on a raw {@link ServerSocket}: takes one request, keeps the exact bytes of its head,
 * reads its body ({@code Content-Length}) and answers with whatever the test's {@link Answer}
 * writes, byte for byte; what the JDK's {@code HttpServer} would never send (an endless body, an
 * endless status line).
 */
final class RawReceiver implements AutoCloseable {
  /** Writes the answer; may block or write forever (it ends when the client goes). */
  @FunctionalInterface
  interface Answer {
    void write(OutputStream out) throws IOException;
  }

  private static final int MAX_HEAD = 64 * 1024;

  private final ServerSocket server;

  /** The request's head, up to and including the blank line. */
  final CompletableFuture<byte[]> head = new CompletableFuture<>();

  /** How the answer ended: normally, or with the exception the client's going raised. */
  final CompletableFuture<String> answerEnded = new CompletableFuture<>();

  RawReceiver(Answer answer) throws IOException {
    server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
    Thread t = new Thread(() -> serve(answer), "governance-test-raw-receiver");
    t.setDaemon(true);
    t.start();
  }

  int port() {
    return server.getLocalPort();
  }

  private void serve(Answer answer) {
    try (Socket s = server.accept()) {
      InputStream in = s.getInputStream();
      ByteArrayOutputStream h = new ByteArrayOutputStream();
      while (h.size() < MAX_HEAD && !endsWithBlankLine(h.toByteArray())) {
        int b = in.read();
        if (b == -1) {
          throw new IOException("the request ended in its head");
        }
        h.write(b);
      }
      byte[] bytes = h.toByteArray();
      head.complete(bytes);
      in.readNBytes(contentLength(new String(bytes, java.nio.charset.StandardCharsets.ISO_8859_1)));
      try {
        answer.write(s.getOutputStream());
        answerEnded.complete("written");
      } catch (IOException e) {
        answerEnded.complete("failed: " + e);
      }
    } catch (IOException e) {
      head.completeExceptionally(e);
      answerEnded.completeExceptionally(e);
    }
  }

  private static boolean endsWithBlankLine(byte[] b) {
    int n = b.length;
    return n >= 4 && b[n - 4] == '\r' && b[n - 3] == '\n' && b[n - 2] == '\r' && b[n - 1] == '\n';
  }

  private static int contentLength(String head) {
    for (String line : head.split("\r\n")) {
      if (line.regionMatches(true, 0, "Content-Length:", 0, 15)) {
        return Integer.parseInt(line.substring(15).trim());
      }
    }
    return 0;
  }

  @Override
  public void close() throws IOException {
    server.close();
  }
}
