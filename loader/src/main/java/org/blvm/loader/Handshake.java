package org.blvm.loader;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.errorprone.annotations.concurrent.GuardedBy;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import org.blvm.protocol.Codec;
import org.blvm.protocol.ErrorCode;
import org.blvm.protocol.Message;
import org.blvm.protocol.ModuleContext;

/**
 * One module's authentication: the one-time launch token (compared in constant time, usable once)
 * and the protocol version, then the welcome with the module's context.
 */
final class Handshake {
  /** Why a hello was refused: the close code and message to answer it with. */
  record Refusal(ErrorCode code, String message) {}

  private final String moduleId;
  private final byte[] token;

  @GuardedBy("this")
  private boolean tokenUsed;

  Handshake(String moduleId, byte[] token) {
    this.moduleId = moduleId;
    this.token = token.clone();
  }

  /** The token as the module receives it at launch (a copy). */
  byte[] token() {
    return token.clone();
  }

  synchronized boolean tokenUsed() {
    return tokenUsed;
  }

  /**
   * Checks a hello; on success the token counts as used and null is returned, else why it was
   * refused.
   */
  synchronized Refusal check(Message.Hello hello) {
    byte[] presented = hello.token().getBytes(StandardCharsets.UTF_8);
    if (tokenUsed || !MessageDigest.isEqual(presented, token)) {
      return new Refusal(ErrorCode.UNAUTHENTICATED, "wrong launch token");
    }
    if (!hello.versions().contains(Codec.PROTOCOL_VERSION)) {
      return new Refusal(
          ErrorCode.UNSUPPORTED_VERSION,
          "node speaks protocol version "
              + Codec.PROTOCOL_VERSION
              + ", module offered "
              + hello.versions());
    }
    tokenUsed = true;
    return null;
  }

  /** The welcome for an authenticated module. */
  Message.Welcome welcome(Session s, JsonNode config, String dataDir, String socketPath) {
    ModuleContext ctx =
        new ModuleContext(moduleId, config, dataDir, socketPath, new ArrayList<>(s.granted()));
    return new Message.Welcome(Codec.PROTOCOL_VERSION, ctx);
  }
}
