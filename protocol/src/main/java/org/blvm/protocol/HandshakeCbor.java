package org.blvm.protocol;

/**
 * The CBOR payloads of the messages a module sends before its own code runs, written by hand so
 * that its connect needs none of Jackson's mappers: the {@link Message.Hello}, and a {@link
 * Message.Request} without params (the lifecycle request {@code ready}). The bytes are exactly
 * those of the tree path ({@link MessageCodec#encodeThroughTree}): definite-length maps and arrays
 * with the keys in the tree's order, integers and lengths in their shortest form.
 */
final class HandshakeCbor {
  /**
   * The longest text, in chars, written here. Jackson writes strings of about 4000 chars and more
   * in chunks (indefinite-length), so a message with a longer text takes the tree path; the node
   * accepts at most 256 chars of token and 128 of method name anyway.
   */
  static final int MAX_DIRECT_TEXT_CHARS = 1024;

  private HandshakeCbor() {}

  /** The payload of {@code m}, or null when the tree path must write it. */
  static byte[] encode(Message m) {
    if (m instanceof Message.Hello h) {
      return hello(h);
    }
    if (m instanceof Message.Request r && r.params() == null) {
      return requestWithoutParams(r);
    }
    return null;
  }

  private static byte[] hello(Message.Hello hello) {
    String token = hello.token();
    if (token.length() > MAX_DIRECT_TEXT_CHARS) {
      return null;
    }
    CborWriter w = new CborWriter(32 + 3 * token.length());
    w.mapHeader(3).text("kind").text("hello").text("versions");
    w.arrayHeader(hello.versions().size());
    for (int v : hello.versions()) {
      w.integer(v);
    }
    w.text("token").text(token);
    return w.toByteArray();
  }

  /** {@code {kind: "request", id, method, params: null}}. */
  private static byte[] requestWithoutParams(Message.Request r) {
    String method = r.method();
    if (method.length() > MAX_DIRECT_TEXT_CHARS) {
      return null;
    }
    CborWriter w = new CborWriter(48 + 3 * method.length());
    w.mapHeader(4).text("kind").text("request").text("id").integer(r.id());
    w.text("method").text(method).text("params").nullValue();
    return w.toByteArray();
  }
}
