package org.blvm.loader;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * What a module's processes hold open in files that no longer have a name: a file created in the
 * data directory, deleted and still written through its descriptor takes disk space that no walk of
 * the directory sees. Counted from {@code /proc/<pid>/fd} of the module's process and every
 * descendant (found through {@link ProcessTree}, at most {@link ProcessTree#MAX_PROCESSES}):
 * regular files with no link left, on the data directory's device, each once, by their allocated
 * blocks. At most {@code budget} descriptors are examined per count.
 *
 * <p>Not seen: descriptors in flight in a Unix socket's queue (sent, not yet received), which the
 * kernel bounds by the sender's {@code RLIMIT_NOFILE}; descriptors of processes the loader may not
 * inspect (then {@link Count#unreadable} says how many).
 */
final class DeletedFiles {
  private DeletedFiles() {}

  /**
   * A count.
   *
   * @param bytes allocated bytes of deleted files held open
   * @param files how many such files
   * @param unreadable processes whose descriptors could not be read
   */
  record Count(long bytes, long files, int unreadable) {
    static final Count NONE = new Count(0, 0, 0);
  }

  /**
   * Counts the deleted files on device {@code dev} held open by {@code pid} and its descendants.
   */
  static Count count(long pid, long dev, int budget) {
    return count(Path.of("/proc"), pid, dev, budget);
  }

  /**
   * The same, with the process tree and the descriptor directories read below {@code proc}: only
   * the module's own processes are looked at, found from their parents' {@code children} lists.
   */
  static Count count(Path proc, long pid, long dev, int budget) {
    List<Long> pids = new ProcessTree(proc).pids(pid);
    Set<Long> seen = new HashSet<>();
    long bytes = 0;
    int unreadable = 0;
    int examined = 0;
    for (long p : pids) {
      Path fds = proc.resolve(Long.toString(p)).resolve("fd");
      try (DirectoryStream<Path> ds = Files.newDirectoryStream(fds)) {
        for (Path fd : ds) {
          if (examined++ >= budget) {
            return new Count(bytes, seen.size(), unreadable);
          }
          DataFs.Stat st;
          try {
            st = DataFs.statFollowing(fd.toString());
          } catch (DataFs.FsException e) {
            continue; // closed meanwhile, or not a file (an anonymous inode)
          }
          if (st.isRegularFile() && st.nlink() == 0 && st.dev() == dev && seen.add(st.inode())) {
            bytes += st.bytes();
          }
        }
      } catch (java.nio.file.NoSuchFileException gone) {
        // the process ended meanwhile
      } catch (IOException | SecurityException e) {
        unreadable++;
      }
    }
    return new Count(bytes, seen.size(), unreadable);
  }
}
