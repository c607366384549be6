package org.blvm.admin;

/** Quoting untrusted text into messages: bounded, with control characters escaped. */
final class Text {
  /** At most this many characters of untrusted input appear in a message. */
  static final int MAX_QUOTED = 64;

  private Text() {}

  /** {@code s} in double quotes, clipped to {@link #MAX_QUOTED} characters. */
  static String quote(String s) {
    return "\"" + clip(s) + "\"";
  }

  /**
   * {@code s} clipped to {@link #MAX_QUOTED} characters ("…" marks a cut), control chars escaped.
   */
  static String clip(String s) {
    StringBuilder b = new StringBuilder();
    int n = 0;
    for (int i = 0; i < s.length(); i++) {
      if (n == MAX_QUOTED) {
        b.append('…');
        break;
      }
      char c = s.charAt(i);
      if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0)) {
        b.append(String.format("\\u%04x", (int) c));
      } else {
        b.append(c);
      }
      n++;
    }
    return b.toString();
  }
}
