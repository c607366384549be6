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
  static final Pattern PATTERN =
      Pattern.compile(
          "(0|[1-9]\\d{0,8})\\.(0|[1-9]\\d{0,8})\\.(0|[1-9]\\d{0,8})"
              + "(?:-((?:0|[1-9]\\d{0,8}|\\d*[A-Za-z-][0-9A-Za-z-]*)"
              + "(?:\\.(?:0|[1-9]\\d{0,8}|\\d*[A-Za-z-][0-9A-Za-z-]*))*))?");
  private static final int MAX_PRERELEASE = 64;

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
   * @throws IllegalArgumentException naming the text when it is not a semantic version
   */
  public static SemVer parse(String text) {
    Matcher m = PATTERN.matcher(text);
    if (!m.matches() || (m.group(4) != null && m.group(4).length() > MAX_PRERELEASE)) {
      throw new IllegalArgumentException(
          "not a semantic version like 1.2.3 or 1.2.3-rc.1: \"" + text + "\"");
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
