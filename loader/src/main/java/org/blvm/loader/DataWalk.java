package org.blvm.loader;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Set;

/**
 * Measures one module's data directory in bounded steps: a depth-first walk that examines at most a
 * given number of entries per {@link #step} and carries on where it stopped at the next step, so a
 * directory with a huge tree is measured over several steps and never holds the measuring thread
 * for long. Only the thread that calls {@link #step} may use it.
 *
 * <p>Every entry below the directory counts: files, directories, symlinks and the rest, each by its
 * allocated blocks ({@code st_blocks} × 512, so a sparse file counts what it really occupies and an
 * empty file or directory what its block takes), and as one entry toward {@code data_files}. A file
 * with several hard links is counted once per walk (up to {@value #MAX_SHARED_INODES} such files;
 * beyond that each link counts in full). Symlinks are never followed; directories are opened
 * relative to their parent with {@code O_NOFOLLOW} ({@link DataFs}); a directory on another device
 * (a mount point) is counted but not entered. A directory nested more than {@value #MAX_DEPTH}
 * levels below the data directory, or an entry its permissions keep the loader from reading, is a
 * {@link Problem}: what cannot be measured cannot be vouched for. An entry that vanishes while it
 * is measured is skipped; any other failure is the loader's own trouble ({@link Step#trouble}),
 * never held against the module.
 *
 * <p>A walk spread over several steps sees the tree as it changes: an entry moved from a directory
 * not yet walked into one already walked is missed, one moved the other way is counted twice, until
 * the next walk.
 */
final class DataWalk implements AutoCloseable {
  /** Deepest directory nesting measured; deeper is a {@link Problem}. */
  static final int MAX_DEPTH = 64;

  /** Hard-linked files remembered per walk to count each once. */
  static final int MAX_SHARED_INODES = 65_536;

  private static final int MAX_PATH_IN_MESSAGE = 200;

  /** Why the directory is over its limit or cannot be measured: the module is stopped for it. */
  record Problem(String reason) {}

  /**
   * What a step found.
   *
   * @param complete whether a whole walk ended in this step ({@code bytes} and {@code entries} are
   *     then the whole tree's)
   * @param bytes allocated bytes counted so far in the current walk (the whole tree when complete)
   * @param entries entries counted so far in the current walk
   * @param examined entries examined in this step
   * @param problem set when the walk found the directory over a limit or not measurable
   * @param trouble set when the loader failed to measure for a reason of its own (out of
   *     descriptors or memory, an I/O error): the walk starts again at the next step, the module is
   *     not blamed
   */
  record Step(
      boolean complete, long bytes, long entries, int examined, Problem problem, String trouble) {}

  private record Frame(DataFs.Dir dir, byte[] name, int depth) {}

  private final String root;
  private final long limitBytes;
  private final long limitEntries;
  private final Deque<Frame> stack = new ArrayDeque<>();
  private final Set<Long> sharedInodes = new HashSet<>();
  private long rootDev;
  private long bytes;
  private long entries;

  /**
   * @param root the data directory's absolute path (a directory the loader made, not a symlink)
   * @param limitBytes {@code data_mb} in bytes
   * @param limitEntries {@code data_files}
   */
  DataWalk(String root, long limitBytes, long limitEntries) {
    this.root = root;
    this.limitBytes = limitBytes;
    this.limitEntries = limitEntries;
  }

  /**
   * Examines at most {@code budget} entries, starting a new walk when the last one is complete. The
   * bytes limit is checked against what the walk counted plus {@code extraBytes} (what the module
   * holds in deleted files). Once a limit is crossed the step still spends its budget, so that the
   * {@link Problem} names a figure close to the truth ("at least" when the walk did not end), and
   * the next step starts a new walk.
   */
  Step step(int budget, long extraBytes) {
    int examined = 0;
    boolean over = false;
    try {
      if (stack.isEmpty()) {
        begin();
        over = bytes + extraBytes > limitBytes;
      }
      while (!stack.isEmpty() && examined < budget) {
        Frame top = stack.peek();
        byte[] name = top.dir().next();
        if (name == null) {
          stack.pop().dir().close();
          continue;
        }
        examined++;
        Problem p = examine(top, name);
        if (p != null) {
          close();
          return new Step(false, bytes, entries, examined, p, null);
        }
        over |= entries > limitEntries || bytes + extraBytes > limitBytes;
      }
      boolean complete = stack.isEmpty();
      if (over) {
        close();
        return new Step(complete, bytes, entries, examined, over(complete, extraBytes), null);
      }
      return new Step(complete, bytes, entries, examined, null, null);
    } catch (DataFs.FsException e) {
      String at = where();
      close(); // the next step starts a new walk
      if (e.errno() == DataFs.EACCES || e.errno() == DataFs.EPERM) {
        // only the module can have made its own entries unreadable
        Problem p = new Problem("data directory cannot be measured: " + at + ": " + e.getMessage());
        return new Step(false, bytes, entries, examined, p, null);
      }
      return new Step(false, bytes, entries, examined, null, at + ": " + e.getMessage());
    }
  }

  private Problem over(boolean complete, long extraBytes) {
    if (bytes + extraBytes > limitBytes) {
      return overBytes(bytes, extraBytes, limitBytes, complete);
    }
    return new Problem(
        "data directory over its limit: "
            + (complete ? "" : "at least ")
            + Long.toString(entries)
            + " entries of "
            + Long.toString(limitEntries)
            + " (data_files)");
  }

  private void begin() throws DataFs.FsException {
    bytes = 0;
    entries = 0;
    sharedInodes.clear();
    DataFs.Dir d = DataFs.open(root);
    try {
      DataFs.Stat st = DataFs.stat(d);
      rootDev = st.dev();
      bytes = st.bytes(); // the directory's own blocks (it grows with its entries)
    } catch (DataFs.FsException e) {
      d.close();
      throw e;
    }
    stack.push(new Frame(d, new byte[0], 0));
  }

  /**
   * Counts one entry of {@code parent}'s directory and enters it if it is a directory; a problem
   * only when it is nested too deep.
   */
  private Problem examine(Frame parent, byte[] name) throws DataFs.FsException {
    DataFs.Stat st;
    try {
      st = parent.dir().stat(name);
    } catch (DataFs.FsException e) {
      if (e.errno() == DataFs.ENOENT) {
        return null; // removed since it was listed
      }
      throw new DataFs.FsException(e.getMessage() + " of " + show(name), e);
    }
    entries++;
    boolean counted = true;
    if (st.nlink() > 1 && !st.isDirectory() && sharedInodes.size() < MAX_SHARED_INODES) {
      counted = sharedInodes.add(st.inode());
    }
    if (counted) {
      bytes += st.bytes();
    }
    if (!st.isDirectory() || st.dev() != rootDev) {
      return null;
    }
    if (parent.depth() + 1 > MAX_DEPTH) {
      return new Problem(
          "data directory over its limit: nested deeper than "
              + MAX_DEPTH
              + " directories at "
              + where()
              + "/"
              + show(name));
    }
    DataFs.Dir child;
    try {
      child = parent.dir().open(name);
    } catch (DataFs.FsException e) {
      int n = e.errno();
      if (n == DataFs.ENOENT || n == DataFs.ENOTDIR || n == DataFs.ELOOP) {
        return null; // removed or replaced by something else since it was measured
      }
      throw new DataFs.FsException(e.getMessage() + " of " + show(name), e);
    }
    stack.push(new Frame(child, name, parent.depth() + 1));
    return null;
  }

  /**
   * The reason for a directory over {@code data_mb}: "N MiB of M MiB (data_mb)", "at least N MiB"
   * when the walk that found it did not end.
   */
  static Problem overBytes(long treeBytes, long deletedBytes, long limitBytes, boolean complete) {
    String why =
        "data directory over its limit: "
            + (complete ? "" : "at least ")
            + Long.toString(mib(treeBytes + deletedBytes))
            + " MiB of "
            + Long.toString(limitBytes >> 20)
            + " MiB (data_mb)";
    if (deletedBytes > 0) {
      why += "; " + Long.toString(mib(deletedBytes)) + " MiB of it in deleted files held open";
    }
    return new Problem(why);
  }

  /** Bytes in MiB, rounded up (a directory over its limit never shows as equal to it). */
  static long mib(long bytes) {
    return (bytes + (1L << 20) - 1) >> 20;
  }

  /** The directory the walk is in, relative to the data directory ("." for itself). */
  private String where() {
    StringBuilder b = new StringBuilder(".");
    for (Iterator<Frame> it = stack.descendingIterator(); it.hasNext(); ) {
      Frame f = it.next();
      if (f.name().length > 0) {
        b.append('/').append(show(f.name()));
      }
      if (b.length() > MAX_PATH_IN_MESSAGE) {
        return b.substring(0, MAX_PATH_IN_MESSAGE) + "…";
      }
    }
    return b.toString();
  }

  private static String show(byte[] name) {
    String s = new String(name, StandardCharsets.UTF_8);
    return s.length() > 64 ? s.substring(0, 64) + "…" : s;
  }

  /** Whether a walk is under way (directories are held open between steps). */
  boolean inProgress() {
    return !stack.isEmpty();
  }

  /** Closes every directory the walk holds open. */
  @Override
  public void close() {
    while (!stack.isEmpty()) {
      stack.pop().dir().close();
    }
  }
}
