package org.blvm.loader;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.blvm.sandbox.UidRange;

/**
 * One host uid (and the same gid) per module, from the sandbox's range, kept for good in a
 * loader-owned file ({@code <data root>/.module-uids}, 0600, replaced atomically): a module's data
 * directory stays its own across restarts and loader runs. A new module's uid is derived from its
 * name (stable), moving to the next free id when that is taken by another module or named in
 * /etc/passwd or /etc/group. Thread-safe.
 *
 * <p>A new module's record is written (and synced) on a writer thread of its own while the launch
 * goes on ({@link #assign}); the launcher awaits it before the program is released, so no module
 * runs under a uid that is not on disk. Writes run in order, each of the whole record as it stood.
 */
final class ModuleUids {
  static final String FILE_NAME = ".module-uids";
  private static final int MAX_FILE_BYTES = 1 << 20;

  private final UidRange range;
  private final Path file;
  private final Set<Integer> reserved;

  /** guarded by this; null until first read; replaced, never changed, once published */
  private Map<String, Integer> byModule;

  /** guarded by this: the write that records each module given a uid by this process */
  private final Map<String, CompletableFuture<Void>> writes = new HashMap<>();

  /** One writer thread while there is something to write. */
  private final ThreadPoolExecutor writer =
      new ThreadPoolExecutor(
          1,
          1,
          10,
          TimeUnit.SECONDS,
          new LinkedBlockingQueue<>(),
          r -> {
            Thread t = new Thread(r, "blvm-module-uids");
            t.setDaemon(true);
            return t;
          });

  /** How long a launch waits for its uid's record to be written. */
  static final long WRITE_WAIT_SECONDS = 60;

  /** A module's uid, and the write that records it (done when it was on disk already). */
  record Assignment(int uid, CompletableFuture<Void> write) {
    /** Returns once the uid is on disk; a failed write is written again at the next launch. */
    void awaitRecorded() throws IOException {
      try {
        write.get(WRITE_WAIT_SECONDS, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("interrupted while recording module uid " + uid);
      } catch (TimeoutException e) {
        throw new IOException(
            "the record of module uid "
                + uid
                + " was not written within "
                + WRITE_WAIT_SECONDS
                + " s");
      } catch (ExecutionException e) {
        Throwable c = e.getCause() instanceof UncheckedIOException u ? u.getCause() : e.getCause();
        throw new IOException("cannot record module uid " + uid + ": " + c.getMessage(), c);
      }
    }
  }

  /**
   * @param reserved ids that must never be given out (accounts, the sandbox group)
   */
  ModuleUids(UidRange range, Path dataRoot, Set<Integer> reserved) {
    this.range = range;
    this.file = dataRoot.resolve(FILE_NAME);
    this.reserved = Set.copyOf(reserved);
    writer.allowCoreThreadTimeOut(true);
  }

  /** The ids named in /etc/passwd (uids and gids) and /etc/group (gids). */
  static Set<Integer> accountIds() throws IOException {
    Set<Integer> ids = new HashSet<>();
    for (String f : new String[] {"/etc/passwd", "/etc/group"}) {
      Path p = Path.of(f);
      if (!Files.isReadable(p)) {
        continue;
      }
      for (String line : Files.readAllLines(p)) {
        String[] c = line.split(":", -1);
        for (int i = 2; i < Math.min(c.length, f.endsWith("passwd") ? 4 : 3); i++) {
          try {
            ids.add(Integer.parseInt(c[i]));
          } catch (NumberFormatException e) {
            // not an account line
          }
        }
      }
    }
    return ids;
  }

  /** The uid of {@code module}: the recorded one, or a new one recorded before it is returned. */
  int uidFor(String module) throws IOException {
    Assignment a = assign(module);
    a.awaitRecorded();
    return a.uid();
  }

  /**
   * The uid of {@code module}: the recorded one, or a new one whose record is being written (again,
   * when an earlier write of it failed). Two modules never get the same uid.
   */
  synchronized Assignment assign(String module) throws IOException {
    if (byModule == null) {
      byModule = read();
    }
    Integer known = byModule.get(module);
    if (known != null) {
      CompletableFuture<Void> w = writes.get(module);
      if (w == null) {
        return new Assignment(known, CompletableFuture.completedFuture(null));
      }
      if (w.isCompletedExceptionally()) {
        w = submitWrite();
        writes.put(module, w);
      }
      return new Assignment(known, w);
    }
    Set<Integer> taken = new HashSet<>(byModule.values());
    int start = Math.floorMod(stableHash(module), range.count());
    for (int i = 0; i < range.count(); i++) {
      int uid = range.first() + (start + i) % range.count();
      if (!taken.contains(uid) && !reserved.contains(uid)) {
        Map<String, Integer> next = new TreeMap<>(byModule);
        next.put(module, uid);
        byModule = next;
        CompletableFuture<Void> w = submitWrite();
        writes.put(module, w);
        return new Assignment(uid, w);
      }
    }
    throw new IOException(
        "no free uid for module "
            + module
            + " in the module uid range "
            + range
            + " ("
            + byModule.size()
            + " given out, recorded in "
            + file
            + "): widen the range");
  }

  /** Writes the record as it stands now, after every write submitted before. */
  private CompletableFuture<Void> submitWrite() {
    Map<String, Integer> snapshot = byModule;
    return CompletableFuture.runAsync(
        () -> {
          try {
            write(snapshot);
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        },
        writer);
  }

  /** FNV-1a over the name's UTF-8 bytes: the same on every JVM and every run. */
  static int stableHash(String s) {
    int h = 0x811c9dc5;
    for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
      h ^= b & 0xff;
      h *= 0x01000193;
    }
    return h;
  }

  private Map<String, Integer> read() throws IOException {
    Map<String, Integer> m = new TreeMap<>();
    if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
      return m;
    }
    if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)
        || Files.size(file) > MAX_FILE_BYTES) {
      throw new IOException(
          file + " is not a regular file of at most " + MAX_FILE_BYTES + " bytes");
    }
    int n = 0;
    for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      n++;
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      String[] f = line.trim().split(" ");
      Integer uid = null;
      try {
        uid = f.length == 2 ? Integer.valueOf(f[1]) : null;
      } catch (NumberFormatException e) {
        // reported below
      }
      if (uid == null || m.containsKey(f[0]) || m.containsValue(uid)) {
        // never guess: a module's files belong to the uid it had
        throw new IOException(
            file
                + " line "
                + n
                + ": expected \"<module> <uid>\" once per module and uid, found \""
                + line
                + "\"");
      }
      m.put(f[0], uid);
    }
    return m;
  }

  private void write(Map<String, Integer> m) throws IOException {
    StringBuilder b =
        new StringBuilder("# module uids given out by the loader (uid = gid); never reused\n");
    m.forEach((k, v) -> b.append(k).append(' ').append(v).append('\n'));
    Path tmp =
        Files.createTempFile(
            file.getParent(),
            FILE_NAME,
            ".tmp",
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    try {
      Files.writeString(tmp, b, StandardCharsets.UTF_8);
      try (java.nio.channels.FileChannel ch =
          java.nio.channels.FileChannel.open(tmp, java.nio.file.StandardOpenOption.WRITE)) {
        ch.force(true);
      }
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }
}
