package org.blvm.policy;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A dependency's acceptable versions: comma-separated comparators that must all hold, each one of
 * {@code =, >, >=, <, <=} followed by a semantic version (as in module.toml), e.g. {@code ">=1.2.0,
 * <2.0.0"}. A bare version means {@code =}. Spaces around the operator and the commas are allowed;
 * at most {@link #MAX_COMPARATORS} comparators and {@link #MAX_LENGTH} characters. Pre-release
 * versions order as SemVer orders them ({@code 1.0.0-rc.1 < 1.0.0}).
 */
public final class VersionRange {
  /** At most this many comparators in one range. */
  public static final int MAX_COMPARATORS = 8;

  /** At most this many characters in one range. */
  public static final int MAX_LENGTH = 256;

  private static final Pattern COMPARATOR = Pattern.compile("\\s*(>=|<=|>|<|=)?\\s*(\\S+)\\s*");

  private enum Op {
    EQ("="),
    GT(">"),
    GE(">="),
    LT("<"),
    LE("<=");

    final String symbol;

    Op(String symbol) {
      this.symbol = symbol;
    }
  }

  private record Comparator(Op op, SemVer version) {
    boolean test(SemVer v) {
      int c = v.compareTo(version);
      switch (op) {
        case EQ:
          return c == 0;
        case GT:
          return c > 0;
        case GE:
          return c >= 0;
        case LT:
          return c < 0;
        default:
          return c <= 0;
      }
    }

    @Override
    public String toString() {
      return op.symbol + version;
    }
  }

  private final List<Comparator> comparators;

  private VersionRange(List<Comparator> comparators) {
    this.comparators = comparators;
  }

  /**
   * Parses a range.
   *
   * @throws IllegalArgumentException naming the part that is not a comparator
   */
  public static VersionRange parse(String text) {
    if (text.isBlank() || text.length() > MAX_LENGTH) {
      throw new IllegalArgumentException(
          "empty or longer than " + MAX_LENGTH + " characters (" + text.length() + ")");
    }
    String[] parts = text.split(",", -1);
    if (parts.length > MAX_COMPARATORS) {
      throw new IllegalArgumentException(parts.length + " comparators, at most " + MAX_COMPARATORS);
    }
    List<Comparator> out = new ArrayList<>();
    for (String part : parts) {
      Matcher m = COMPARATOR.matcher(part);
      if (!m.matches()) {
        throw new IllegalArgumentException("\"" + part.trim() + "\" is not like >=1.2.0");
      }
      String sym = m.group(1) == null ? "=" : m.group(1);
      Op op = null;
      for (Op o : Op.values()) {
        if (o.symbol.equals(sym)) {
          op = o;
        }
      }
      out.add(new Comparator(op, SemVer.parse(m.group(2)))); // names a bad version
    }
    return new VersionRange(List.copyOf(out));
  }

  /** True when {@code v} satisfies every comparator. */
  public boolean contains(SemVer v) {
    for (Comparator c : comparators) {
      if (!c.test(v)) {
        return false;
      }
    }
    return true;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof VersionRange && toString().equals(o.toString());
  }

  @Override
  public int hashCode() {
    return toString().hashCode();
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder();
    for (Comparator c : comparators) {
      if (sb.length() > 0) {
        sb.append(", ");
      }
      sb.append(c);
    }
    return sb.toString();
  }
}
