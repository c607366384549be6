package org.blvm.node.host;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The demo's webhook receiver: a JDK {@link HttpServer} on 127.0.0.1 at an ephemeral port, where
 * blvm-governance posts. Each request's {@code X-Blvm-Signature} is recomputed over the body bytes
 * read (HMAC-SHA256 under the secret, compared in constant time) and shown on the board; a valid
 * one is acknowledged with 200, any other with 401. Bodies over 64 KiB are refused with 413. Two
 * threads, {@code blvm-demo-webhooks}, serve requests.
 */
final class DemoWebhooks implements AutoCloseable {
  private static final int MAX_BODY = 64 * 1024;

  private final HttpServer server;
  private final ExecutorService pool;
  private final byte[] secret;
  private final DemoBoard board;

  DemoWebhooks(byte[] secret, DemoBoard board) throws IOException {
    this.secret = secret.clone();
    this.board = board;
    this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
    this.pool =
        Executors.newFixedThreadPool(
            2,
            r -> {
              Thread t = new Thread(r, "blvm-demo-webhooks");
              t.setDaemon(true);
              return t;
            });
    server.setExecutor(pool);
    server.createContext("/", this::handle);
    server.start();
  }

  int port() {
    return server.getAddress().getPort();
  }

  private void handle(HttpExchange x) throws IOException {
    try (x) {
      byte[] body;
      try (InputStream in = x.getRequestBody()) {
        body = in.readNBytes(MAX_BODY + 1);
      }
      if (body.length > MAX_BODY) {
        x.sendResponseHeaders(413, -1);
        return;
      }
      String type = x.getRequestHeaders().getFirst("X-Blvm-Notification");
      String key = x.getRequestHeaders().getFirst("Idempotency-Key");
      boolean valid = valid(x.getRequestHeaders().getFirst("X-Blvm-Signature"), body);
      board.note(
          DemoLayout.GOVERNANCE,
          valid ? DemoBoard.Count.WEBHOOK_VALID : DemoBoard.Count.WEBHOOK_INVALID,
          "webhook "
              + printable(type)
              + " "
              + printable(key)
              + (valid ? " received, HMAC-SHA256 signature valid" : " REFUSED: bad signature"));
      x.sendResponseHeaders(valid ? 200 : 401, -1);
    }
  }

  /** Whether {@code header} is {@code sha256=} and the hex HMAC-SHA256 of {@code body}. */
  boolean valid(String header, byte[] body) {
    if (header == null) {
      return false;
    }
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret, "HmacSHA256"));
      String expected = "sha256=" + HexFormat.of().formatHex(mac.doFinal(body));
      return MessageDigest.isEqual(
          expected.getBytes(StandardCharsets.US_ASCII), header.getBytes(StandardCharsets.US_ASCII));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("every JDK has HmacSHA256", e);
    }
  }

  private static String printable(String s) {
    if (s == null) {
      return "(none)";
    }
    String t = s.length() > 64 ? s.substring(0, 64) : s;
    return t.replaceAll("[^\\x21-\\x7e]", "?");
  }

  @Override
  public void close() {
    server.stop(0);
    pool.shutdownNow();
  }
}
