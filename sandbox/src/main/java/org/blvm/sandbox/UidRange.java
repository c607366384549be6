package org.blvm.sandbox;

/**
 * A range of host uids, each also used as a gid, that a root loader gives out one per module (as
 * systemd's DynamicUser does): processes of different modules then differ in uid, so RLIMIT_NPROC,
 * file ownership and signals separate them. The ids need no passwd or group entry.
 *
 * @param first the first uid
 * @param count how many
 */
public record UidRange(int first, int count) {
  /**
   * 60500–60999: inside the block Debian reserves for ids created on demand, below systemd's
   * DynamicUser range (61184–65519). Ids that /etc/passwd or /etc/group name are skipped.
   */
  public static final UidRange DEFAULT = new UidRange(60500, 500);

  public UidRange {
    if (first < 1000 || count < 1 || count > 65536 || (long) first + count - 1 > 0x7ffffffeL) {
      throw new IllegalArgumentException(
          "a module uid range must start at 1000 or above and hold 1 to 65536 ids, found "
              + first
              + " and "
              + count);
    }
    if (first <= 65534 && (long) first + count - 1 >= 65534) {
      throw new IllegalArgumentException(
          "a module uid range must not contain 65534 (the overflow id, shown for unmapped ids),"
              + " found "
              + first
              + "-"
              + last());
    }
  }

  public int last() {
    return first + count - 1;
  }

  public boolean contains(int uid) {
    return uid >= first && uid <= last();
  }

  /** "first-last", as {@link #parse} reads it. */
  @Override
  public String toString() {
    return first + "-" + last();
  }

  /**
   * "FIRST-LAST" (e.g. "60500-60999").
   *
   * @throws IllegalArgumentException naming what was found
   */
  public static UidRange parse(String text) {
    String[] f = text.strip().split("-", -1);
    try {
      if (f.length == 2) {
        int a = Integer.parseInt(f[0]);
        int b = Integer.parseInt(f[1]);
        if (b >= a) {
          return new UidRange(a, b - a + 1);
        }
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new IllegalArgumentException(
        "a module uid range is written FIRST-LAST (e.g. 60500-60999), found \"" + text + "\"");
  }
}
