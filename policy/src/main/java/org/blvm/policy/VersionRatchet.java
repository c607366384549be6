package org.blvm.policy;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/**
 * The highest accepted version of each module, with the binary and manifest digests accepted at
 * that version. One text file, 0600, replaced atomically on every change:
 *
 * <pre>
 * # blvm version ratchet v1
 * &lt;name&gt; &lt;version&gt; &lt;binary sha256&gt; &lt;manifest sha256&gt;
 * </pre>
 *
 * An unreadable or malformed file refuses every admission (fail closed). Changes are serialised
 * with this object's monitor and an exclusive lock on {@code versions.lock}.
 *
 * <p>One step back is allowed on the operator's request ({@link #checkRollback}, {@link
 * #commitRollback}): the release rolled back to is recorded beside the highest ({@link
 * RatchetRollbacks}), which stays where it was. That release is then admitted again only from the
 * loader's own record of it ({@link #checkPinned}), never from a module directory, and only while
 * the highest is the release it was rolled back from; a second rollback, to anything older, is
 * refused. Recording any other release ends the rollback.
 */
final class VersionRatchet {
  static final String HEADER = "# blvm version ratchet v1";

  record Entry(SemVer version, Sha256 binary, Sha256 manifest) {}

  private final Path file;
  private final Path lockFile;
  private final RatchetRollbacks rollbacks;

  VersionRatchet(Path stateDir) {
    this.file = stateDir.resolve("versions");
    this.lockFile = stateDir.resolve("versions.lock");
    this.rollbacks = new RatchetRollbacks(stateDir);
  }

  Path file() {
    return file;
  }

  /** Throws if accepting this release would roll back or reuse a version. */
  synchronized void check(String module, SemVer version, Sha256 binary, Sha256 manifest)
      throws AdmissionException {
    Entry e = read().get(module);
    compare(module, e, version, binary, manifest);
  }

  /**
   * {@link #check} for a release restored from the loader's own record (not a module directory):
   * the release a rollback that still counts went back to passes too.
   */
  synchronized void checkPinned(String module, SemVer version, Sha256 binary, Sha256 manifest)
      throws AdmissionException {
    Entry e = read().get(module);
    RatchetRollbacks.Entry r = rollbacks.valid(module, e);
    if (r == null || !r.isTo(version, binary, manifest)) {
      compare(module, e, version, binary, manifest);
    }
  }

  /**
   * Throws if the ratchet does not allow a rollback of {@code module} to this release: a release
   * older than the highest is allowed unless the module was rolled back from that highest already,
   * to another release (a second rollback). Which release a rollback may go to is the caller's
   * rule; this one only guards the ratchet.
   */
  synchronized void checkRollback(String module, SemVer version, Sha256 binary, Sha256 manifest)
      throws AdmissionException {
    Entry e = read().get(module);
    if (e == null || version.compareTo(e.version()) >= 0) {
      compare(module, e, version, binary, manifest);
      return;
    }
    RatchetRollbacks.Entry r = rollbacks.valid(module, e);
    if (r != null && !r.isTo(version, binary, manifest)) {
      throw secondRollback(module, version, r);
    }
  }

  private static RollbackRefusedException secondRollback(
      String module, SemVer version, RatchetRollbacks.Entry r) {
    return new RollbackRefusedException(
        module,
        version.toString(),
        "it was rolled back from "
            + r.from().version()
            + " to "
            + r.to().version()
            + " already; a second rollback, to anything older, is refused (the version ratchet"
            + " allows one step back from the highest version that ran)");
  }

  /**
   * Records, under the lock, that {@code module} was rolled back to release {@code to} from release
   * {@code from}, which must still be its highest; the highest does not move.
   */
  synchronized void commitRollback(String module, Entry to, Entry from) throws AdmissionException {
    try (FileChannel lock = StateFiles.lockExclusive(lockFile)) {
      Entry e = read().get(module);
      if (e == null || !RatchetRollbacks.same(e, from)) {
        throw new RollbackRefusedException(
            module,
            to.version().toString(),
            "the version ratchet's highest release is "
                + (e == null ? "none" : e.version().toString())
                + ", not "
                + from.version()
                + ", which the rollback started from");
      }
      RatchetRollbacks.Entry r = rollbacks.valid(module, e);
      if (r != null && !r.isTo(to.version(), to.binary(), to.manifest())) {
        throw secondRollback(module, to.version(), r);
      }
      if (r == null) {
        rollbacks.put(module, new RatchetRollbacks.Entry(to, from));
      }
    } catch (IOException ex) {
      throw new AdmissionStateException(file, "cannot record the rollback: " + ex, ex);
    }
  }

  /**
   * Checks again under the lock and records the release as the module's highest. With {@code
   * pinned} (a release restored from the loader's own record), the release a rollback that still
   * counts went back to is accepted and nothing changes; recording any other release ends that
   * rollback.
   */
  synchronized void commit(
      String module, SemVer version, Sha256 binary, Sha256 manifest, boolean pinned)
      throws AdmissionException {
    try (FileChannel lock = StateFiles.lockExclusive(lockFile)) {
      Map<String, Entry> all = read();
      Entry e = all.get(module);
      RatchetRollbacks.Entry r = rollbacks.valid(module, e);
      if (pinned && r != null && r.isTo(version, binary, manifest)) {
        return;
      }
      compare(module, e, version, binary, manifest);
      if (rollbacks.read().containsKey(module)) {
        rollbacks.put(module, null);
      }
      if (e != null && e.version().compareTo(version) == 0) {
        return;
      }
      all.put(module, new Entry(version, binary, manifest));
      StringBuilder sb = new StringBuilder(HEADER).append('\n');
      for (Map.Entry<String, Entry> x : all.entrySet()) {
        sb.append(x.getKey())
            .append(' ')
            .append(x.getValue().version())
            .append(' ')
            .append(x.getValue().binary())
            .append(' ')
            .append(x.getValue().manifest())
            .append('\n');
      }
      StateFiles.writeAtomically(
          file, sb.toString().getBytes(StandardCharsets.UTF_8), StateFiles.FILE_0600);
    } catch (IOException ex) {
      throw new AdmissionStateException(file, "cannot record the accepted version: " + ex, ex);
    }
  }

  private static void compare(
      String module, Entry e, SemVer version, Sha256 binary, Sha256 manifest)
      throws AdmissionException {
    if (e == null) {
      return;
    }
    int c = version.compareTo(e.version());
    if (c < 0) {
      throw new RollbackException(module, e.version(), version);
    }
    if (c == 0) {
      if (!e.binary().equals(binary)) {
        throw new VersionReusedException(module, version, "binary", e.binary(), binary);
      }
      if (!e.manifest().equals(manifest)) {
        throw new VersionReusedException(module, version, "manifest", e.manifest(), manifest);
      }
    }
  }

  /** The recorded entries; missing file = none. */
  Map<String, Entry> read() throws AdmissionStateException {
    Map<String, Entry> out = new TreeMap<>();
    String text = StateFiles.readPrivateText(file, Long.MAX_VALUE);
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
        if (f.length != 4 || out.containsKey(f[0])) {
          throw new IllegalArgumentException(
              "expected: name version binary-sha256 manifest-sha256");
        }
        out.put(f[0], new Entry(SemVer.parse(f[1]), Sha256.parse(f[2]), Sha256.parse(f[3])));
      } catch (IllegalArgumentException e) {
        throw new AdmissionStateException(
            file, "line " + (i + 1) + " is corrupt: " + e.getMessage());
      }
    }
    return out;
  }
}
