package org.blvm.protocol;

/** Validation of the hex strings used for hashes and raw data. */
public final class Hex {
  private Hex() {}

  /** Requires 64 lowercase hex characters (a 32-byte hash). */
  public static void requireHash(String field, String value) {
    if (value == null || value.length() != 64 || !isLowerHex(value)) {
      throw new IllegalArgumentException(
          field + " must be 64 lowercase hex characters, found " + describe(value));
    }
  }

  /** Requires an even number of lowercase hex characters. */
  public static void requireHex(String field, String value) {
    if (value == null || value.length() % 2 != 0 || !isLowerHex(value)) {
      throw new IllegalArgumentException(
          field + " must be an even number of lowercase hex characters, found " + describe(value));
    }
  }

  /** Requires an even number of lowercase hex characters, at most {@code maxChars} of them. */
  public static void requireHex(String field, String value, int maxChars) {
    requireHex(field, value);
    if (value.length() > maxChars) {
      throw new IllegalArgumentException(
          field + " must be at most " + maxChars + " characters, found " + value.length());
    }
  }

  private static boolean isLowerHex(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
        return false;
      }
    }
    return true;
  }

  private static String describe(String value) {
    if (value == null) {
      return "nothing";
    }
    return value.length() > 80
        ? "a string of " + value.length() + " characters"
        : "\"" + value + "\"";
  }
}
