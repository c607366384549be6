package org.blvm.policy;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A semantic version {@code MAJOR.MINOR.PATCH[-PRERELEASE]} ordered by SemVer 2.0 precedence (a
 * pre-release sorts before its release; identifiers compare numerically when both are numeric).
 * Build metadata ({@code +...}) is not accepted: it would make two different releases compare
 * equal.
 */
public final class SemVer implements Comparable<SemVer> {
  /** Digits in one number (MAJOR, MINOR, PATCH or a numeric pre-release identifier): an int. */
  static final int MAX_DIGITS = 9;

  /** Characters of the pre-release part after the {@code -}. */
  static final int MAX_PRERELEASE = 64;

  /** Characters of a whole version (the longest valid one has 94). */
  static final int MAX_LENGTH = 96;

  private static final Pattern PATTERN =
      Pattern.compile(
          "(0|[1-9]\\d{0,8})\\.(0|[1-9]\\d{0,8})\\.(0|[1-9]\\d{0,8})"
              + "(?:-((?:0|[1-9]\\d{0,8}|\\d*[A-Za-z-][0-9A-Za-z-]*)"
              + "(?:\\.(?:0|[1-9]\\d{0,8}|\\d*[A-Za-z-][0-9A-Za-z-]*))*))?");

  /** {@link #PATTERN} without the digit limit: tells "too many digits" from "not a version". */
  private static final Pattern ANY_DIGITS =
      Pattern.compile(
          "(0|[1-9]\\d*)\\.(0|[1-9]\\d*)\\.(0|[1-9]\\d*)"
              + "(?:-((?:0|[1-9]\\d*|\\d*[A-Za-z-][0-9A-Za-z-]*)"
              + "(?:\\.(?:0|[1-9]\\d*|\\d*[A-Za-z-][0-9A-Za-z-]*))*))?");

  private final int major;
  private final int minor;
  private final int patch;
  private final List<String> prerelease;
  private final String text;

  private SemVer(int major, int minor, int patch, List<String> prerelease, String text) {
    this.major = major;
    this.minor = minor;
    this.patch = patch;
    this.prerelease = prerelease;
    this.text = text;
  }

  /**
   * Parses {@code 1.2.3} or {@code 1.2.3-rc.1}.
   *
   * @throws IllegalArgumentException naming the text and what is wrong with it (see {@link
   *     #problem})
   */
  public static SemVer parse(String text) {
    String problem = problem(text);
    if (problem != null) {
      throw new IllegalArgumentException("version \"" + text + "\" " + problem);
    }
    Matcher m = PATTERN.matcher(text);
    if (!m.matches()) {
      throw new AssertionError(text); // problem() accepted it
    }
    List<String> pre = new ArrayList<>();
    if (m.group(4) != null) {
      pre.addAll(List.of(m.group(4).split("\\.")));
    }
    return new SemVer(
        Integer.parseInt(m.group(1)),
        Integer.parseInt(m.group(2)),
        Integer.parseInt(m.group(3)),
        List.copyOf(pre),
        text);
  }

  /**
   * What is wrong with {@code text} as a version, as a predicate to follow it ({@code "has build
   * metadata …"}), or null when it is accepted. Besides the SemVer 2.0 syntax: at most {@value
   * #MAX_LENGTH} characters, each number at most {@value #MAX_DIGITS} digits, the pre-release part
   * at most {@value #MAX_PRERELEASE} characters, no build metadata.
   */
  static String problem(String text) {
    if (text.length() > MAX_LENGTH) {
      return "is longer than " + MAX_LENGTH + " characters";
    }
    Matcher m = PATTERN.matcher(text);
    if (m.matches()) {
      return m.group(4) != null && m.group(4).length() > MAX_PRERELEASE
          ? "has a pre-release part (after \"-\") of more than " + MAX_PRERELEASE + " characters"
          : null;
    }
    int plus = text.indexOf('+');
    if (plus > 0 && problem(text.substring(0, plus)) == null) {
      return "has build metadata (\"+...\"), which is not accepted: two builds would compare equal";
    }
    if (ANY_DIGITS.matcher(text).matches()) {
      return "has a number of more than "
          + MAX_DIGITS
          + " digits (MAJOR, MINOR, PATCH and numeric pre-release identifiers are at most"
          + " 999999999)";
    }
    return "is not a semantic version like 1.2.3 or 1.2.3-rc.1";
  }

  public int major() {
    return major;
  }

  public int minor() {
    return minor;
  }

  public int patch() {
    return patch;
  }

  public boolean isPrerelease() {
    return !prerelease.isEmpty();
  }

  @Override
  public int compareTo(SemVer o) {
    int c = Integer.compare(major, o.major);
    if (c == 0) {
      c = Integer.compare(minor, o.minor);
    }
    if (c == 0) {
      c = Integer.compare(patch, o.patch);
    }
    if (c != 0) {
      return c;
    }
    if (prerelease.isEmpty() || o.prerelease.isEmpty()) {
      return Boolean.compare(prerelease.isEmpty(), o.prerelease.isEmpty());
    }
    for (int i = 0; i < Math.min(prerelease.size(), o.prerelease.size()); i++) {
      String a = prerelease.get(i);
      String b = o.prerelease.get(i);
      boolean an = a.chars().allMatch(Character::isDigit);
      boolean bn = b.chars().allMatch(Character::isDigit);
      if (an && bn) {
        c = Integer.compare(Integer.parseInt(a), Integer.parseInt(b));
      } else if (an || bn) {
        c = an ? -1 : 1;
      } else {
        c = a.compareTo(b);
      }
      if (c != 0) {
        return c;
      }
    }
    return Integer.compare(prerelease.size(), o.prerelease.size());
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof SemVer && compareTo((SemVer) o) == 0;
  }

  @Override
  public int hashCode() {
    return Objects.hash(major, minor, patch, prerelease);
  }

  @Override
  public String toString() {
    return text;
  }
}
