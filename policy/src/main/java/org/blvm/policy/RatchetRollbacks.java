package org.blvm.policy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/**
 * The rollbacks the version ratchet allowed: one text file {@code STATE/rollbacks}, 0600, replaced
 * atomically by {@link VersionRatchet} under its lock:
 *
 * <pre>
 * # blvm rollbacks v1
 * &lt;name&gt; &lt;to version&gt; &lt;to binary sha256&gt; &lt;to manifest sha256&gt; &lt;from version&gt; &lt;from binary sha256&gt; &lt;from manifest sha256&gt;
 * </pre>
 *
 * A line says that the module was rolled back from the release {@code from} (its highest recorded
 * then) to the release {@code to}. It counts only while {@code from} is still the module's highest
 * recorded release ({@link #valid}): any other release recorded later ends it. An unreadable or
 * malformed file refuses every admission that consults it (fail closed).
 */
final class RatchetRollbacks {
  static final String HEADER = "# blvm rollbacks v1";

  /** At most this many lines (a file over it is refused as corrupt). */
  static final int MAX_ENTRIES = 4096;

  /** A rollback from release {@code from} to release {@code to}. */
  record Entry(VersionRatchet.Entry to, VersionRatchet.Entry from) {
    boolean isTo(SemVer version, Sha256 binary, Sha256 manifest) {
      return to.version().compareTo(version) == 0
          && to.binary().equals(binary)
          && to.manifest().equals(manifest);
    }
  }

  private final Path file;

  RatchetRollbacks(Path stateDir) {
    this.file = stateDir.resolve("rollbacks");
  }

  /** The rollback of {@code module} that still counts against {@code highest}, or null. */
  Entry valid(String module, VersionRatchet.Entry highest) throws AdmissionStateException {
    Entry r = read().get(module);
    return r != null && highest != null && same(r.from(), highest) ? r : null;
  }

  static boolean same(VersionRatchet.Entry a, VersionRatchet.Entry b) {
    return a.version().compareTo(b.version()) == 0
        && a.binary().equals(b.binary())
        && a.manifest().equals(b.manifest());
  }

  /**
   * Sets (or, with {@code e} null, removes) the line of {@code module}; the caller holds the lock.
   */
  void put(String module, Entry e) throws AdmissionStateException, IOException {
    Map<String, Entry> all = read();
    if (e == null && all.remove(module) == null) {
      return;
    }
    if (e != null) {
      if (!all.containsKey(module) && all.size() >= MAX_ENTRIES) {
        throw new AdmissionStateException(
            file,
            "more than " + MAX_ENTRIES + " rollbacks recorded; remove modules no longer used");
      }
      all.put(module, e);
    }
    StringBuilder sb = new StringBuilder(HEADER).append('\n');
    for (Map.Entry<String, Entry> x : all.entrySet()) {
      sb.append(x.getKey());
      for (VersionRatchet.Entry r :
          new VersionRatchet.Entry[] {x.getValue().to(), x.getValue().from()}) {
        sb.append(' ')
            .append(r.version())
            .append(' ')
            .append(r.binary())
            .append(' ')
            .append(r.manifest());
      }
      sb.append('\n');
    }
    StateFiles.writeAtomically(
        file, sb.toString().getBytes(StandardCharsets.UTF_8), StateFiles.FILE_0600);
  }

  private static VersionRatchet.Entry entry(String[] f, int at) {
    return new VersionRatchet.Entry(
        SemVer.parse(f[at]), Sha256.parse(f[at + 1]), Sha256.parse(f[at + 2]));
  }

  /** The recorded rollbacks; a missing file records none. */
  Map<String, Entry> read() throws AdmissionStateException {
    Map<String, Entry> out = new TreeMap<>();
    StateFiles.readRecords(
        file,
        512L * MAX_ENTRIES,
        HEADER,
        f -> {
          if (f.length != 7
              || out.containsKey(f[0])
              || !f[0].matches("[a-z][a-z0-9-]{0,62}")
              || out.size() >= MAX_ENTRIES) {
            throw new IllegalArgumentException(
                "expected: name, then version binary-sha256 manifest-sha256 twice");
          }
          out.put(f[0], new Entry(entry(f, 1), entry(f, 4)));
        });
    return out;
  }
}
