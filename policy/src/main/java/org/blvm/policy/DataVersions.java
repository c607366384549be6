package org.blvm.policy;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/**
 * The highest {@code data_version} that ran (reached STARTED) with each module's data, in the
 * loader's state directory, out of every module's reach: one text file {@code STATE/data-versions},
 * 0600, replaced atomically under an exclusive lock on {@code data-versions.lock}:
 *
 * <pre>
 * # blvm data versions v1
 * &lt;name&gt; &lt;data_version&gt;
 * </pre>
 *
 * A module none of whose versions declared one is not listed (its data version is 0). An unreadable
 * or malformed file refuses every module (fail closed). Thread-safe.
 */
public final class DataVersions {
  static final String HEADER = "# blvm data versions v1";

  /** At most this many modules are recorded (a file over it is refused as corrupt). */
  static final int MAX_ENTRIES = 4096;

  private final Path file;
  private final Path lockFile;

  public DataVersions(Path stateDir) {
    this.file = stateDir.resolve("data-versions");
    this.lockFile = stateDir.resolve("data-versions.lock");
  }

  /**
   * Refuses {@code m} when its {@code data_version} is lower than the highest that ran with its
   * data.
   *
   * @throws DataVersionException naming the module, its version and both numbers
   * @throws AdmissionStateException the record cannot be read
   */
  public synchronized void check(ModuleManifest m) throws AdmissionException {
    Integer highest = read().get(m.name());
    if (highest != null && m.dataVersion() < highest) {
      throw new DataVersionException(m.name(), m.version(), highest, m.dataVersion());
    }
  }

  /** Records that {@code m} ran: its {@code data_version} becomes the highest if it is higher. */
  public synchronized void recordRan(ModuleManifest m) throws AdmissionException {
    if (m.dataVersion() == 0) {
      return; // nothing to record: 0 is the lowest, and what an unlisted module has
    }
    try (FileChannel lock = StateFiles.lockExclusive(lockFile)) {
      Map<String, Integer> all = read();
      Integer highest = all.get(m.name());
      if (highest != null && highest >= m.dataVersion()) {
        return;
      }
      if (highest == null && all.size() >= MAX_ENTRIES) {
        throw new AdmissionStateException(
            file, "more than " + MAX_ENTRIES + " modules recorded; remove modules no longer used");
      }
      all.put(m.name(), m.dataVersion());
      StringBuilder sb = new StringBuilder(HEADER).append('\n');
      for (Map.Entry<String, Integer> e : all.entrySet()) {
        sb.append(e.getKey()).append(' ').append(Integer.toString(e.getValue())).append('\n');
      }
      StateFiles.writeAtomically(
          file, sb.toString().getBytes(StandardCharsets.UTF_8), StateFiles.FILE_0600);
    } catch (IOException e) {
      throw new AdmissionStateException(file, "cannot record the data version: " + e, e);
    }
  }

  /** The recorded data versions; a missing file records none. */
  Map<String, Integer> read() throws AdmissionStateException {
    Map<String, Integer> out = new TreeMap<>();
    String text = StateFiles.readPrivateText(file, 256L * MAX_ENTRIES);
    if (text == null) {
      return out;
    }
    String[] lines = text.split("\n", -1);
    if (!lines[0].equals(HEADER)) {
      throw new AdmissionStateException(file, "line 1: expected \"" + HEADER + "\"");
    }
    for (int i = 1; i < lines.length; i++) {
      if (lines[i].isEmpty() && i == lines.length - 1) {
        break;
      }
      String[] f = lines[i].split(" ", -1);
      try {
        if (f.length != 2
            || out.containsKey(f[0])
            || !f[0].matches("[a-z][a-z0-9-]{0,62}")
            || !f[1].matches("[0-9]{1,10}")
            || Long.parseLong(f[1]) > ModuleManifest.MAX_DATA_VERSION) {
          throw new IllegalArgumentException("expected: name data-version");
        }
        out.put(f[0], Integer.parseInt(f[1]));
      } catch (IllegalArgumentException e) {
        throw new AdmissionStateException(
            file, "line " + (i + 1) + " is corrupt: " + e.getMessage());
      }
    }
    return out;
  }
}
