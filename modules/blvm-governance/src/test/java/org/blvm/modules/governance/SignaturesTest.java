package org.blvm.modules.governance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class SignaturesTest {
  @Test
  void sign_rfc4231TestCase2_knownValue() {
    assertEquals(
        "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
        Signatures.sign(
            "Jefe".getBytes(StandardCharsets.US_ASCII),
            "what do ya want for nothing?".getBytes(StandardCharsets.US_ASCII)));
  }

  @Test
  void sign_oneBodyByteOrTheKeyChanged_differs() {
    byte[] key = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
    String s = Signatures.sign(key, "{\"a\":1}".getBytes(StandardCharsets.UTF_8));
    assertNotEquals(s, Signatures.sign(key, "{\"a\":2}".getBytes(StandardCharsets.UTF_8)));
    assertNotEquals(
        s,
        Signatures.sign(
            "0123456789abcdeF".getBytes(StandardCharsets.US_ASCII),
            "{\"a\":1}".getBytes(StandardCharsets.UTF_8)));
  }
}
