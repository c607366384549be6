package org.blvm.protocol;

/**
 * The CBOR payload of a {@link Message.Hello}, written by hand: the first frame a module sends then
 * needs none of Jackson's classes. The bytes are exactly those of the tree path ({@link
 * MessageCodec#encodeThroughTree}): a definite-length map of {@code kind}, {@code versions} and
 * {@code token} in that order, integers and lengths in their shortest form.
 */
final class HelloCbor {
  /**
   * The longest token, in chars, written here. Jackson writes longer strings in chunks
   * (indefinite-length), so a longer token takes the tree path; the node accepts at most 256
   * anyway.
   */
  static final int MAX_DIRECT_TOKEN_CHARS = 1024;

  private HelloCbor() {}

  /** The payload of {@code hello}, or null when the tree path must write it (a long token). */
  static byte[] encode(Message.Hello hello) {
    String token = hello.token();
    if (token.length() > MAX_DIRECT_TOKEN_CHARS) {
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
}
