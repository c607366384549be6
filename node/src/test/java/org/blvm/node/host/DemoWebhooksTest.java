package org.blvm.node.host;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

/**
 * The demo's webhook receiver over real HTTP: a body signed with the secret is acknowledged and
 * counted as valid; a wrong signature, a missing one, or a signature of other bytes is answered 401
 * and counted as bad.
 */
class DemoWebhooksTest {
  private static final byte[] SECRET =
      "a secret of at least 16 bytes".getBytes(StandardCharsets.UTF_8);

  private static String sign(byte[] key, String body) throws Exception {
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(key, "HmacSHA256"));
    return "sha256=" + HexFormat.of().formatHex(mac.doFinal(body.getBytes(StandardCharsets.UTF_8)));
  }

  private static int post(int port, String body, String signature) throws Exception {
    HttpURLConnection c =
        (HttpURLConnection)
            URI.create("http://127.0.0.1:" + port + "/blvm").toURL().openConnection();
    c.setConnectTimeout(10_000);
    c.setReadTimeout(10_000);
    c.setRequestMethod("POST");
    c.setDoOutput(true);
    c.setRequestProperty("X-Blvm-Notification", "status");
    c.setRequestProperty("Idempotency-Key", "gov-00000000000000000000000000000001");
    if (signature != null) {
      c.setRequestProperty("X-Blvm-Signature", signature);
    }
    try (OutputStream o = c.getOutputStream()) {
      o.write(body.getBytes(StandardCharsets.UTF_8));
    }
    try {
      return c.getResponseCode();
    } finally {
      c.disconnect();
    }
  }

  @Test
  void signedBodyAcknowledged_badOrMissingSignatureRefusedAndCounted() throws Exception {
    List<String> lines = new CopyOnWriteArrayList<>();
    DemoBoard board = new DemoBoard(lines::add);
    try (DemoWebhooks hooks = new DemoWebhooks(SECRET, board)) {
      String body = "{\"type\":\"status\"}";
      assertEquals(200, post(hooks.port(), body, sign(SECRET, body)));
      assertEquals(
          401, post(hooks.port(), body, sign("another secret, 16+ bytes".getBytes(), body)));
      assertEquals(401, post(hooks.port(), body, null));
      assertEquals(401, post(hooks.port(), body, sign(SECRET, body + " ")));
    }
    assertEquals(1, board.count(DemoBoard.Count.WEBHOOK_VALID));
    assertEquals(3, board.count(DemoBoard.Count.WEBHOOK_INVALID));
    assertEquals(
        "blvm-governance: webhook status gov-00000000000000000000000000000001 received,"
            + " HMAC-SHA256 signature valid",
        lines.get(0));
  }
}
