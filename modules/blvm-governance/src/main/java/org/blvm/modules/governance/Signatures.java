package org.blvm.modules.governance;

import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The signature header of a delivery: {@value #HEADER}: {@code sha256=HEX}, HEX the lowercase
 * HMAC-SHA256 of the exact body bytes under the shared {@code webhook_secret}. A receiver
 * recomputes it over the bytes it read and compares in constant time.
 */
final class Signatures {
  static final String HEADER = "X-Blvm-Signature";

  private Signatures() {}

  /** {@code sha256=} and the hex HMAC-SHA256 of {@code body} under {@code secret}. */
  static String sign(byte[] secret, byte[] body) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret, "HmacSHA256"));
      return "sha256=" + HexFormat.of().formatHex(mac.doFinal(body));
    } catch (NoSuchAlgorithmException | InvalidKeyException e) {
      throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
    }
  }
}
