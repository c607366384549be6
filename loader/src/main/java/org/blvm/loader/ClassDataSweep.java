package org.blvm.loader;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Removes class-data archives no module uses any more from the archives' directory, and only the
 * loader's own files there: an archive, the junixsocket library copied beside it, and its record
 * (named by the inputs' digest, {@code <64 hex>.jsa}, {@code .jni} and {@code .record}, regular
 * files of the loader's user writable by no one else), and what an interrupted build left ({@code
 * .work-*} directories, {@code *.tmp} files; no build runs beside a sweep, and only the loader may
 * create entries in the directory). Anything else is left alone and logged at WARNING once per
 * name.
 *
 * <p>A sweep removes an archive whose record's jar or {@code java} launcher is gone, whose jar's
 * size or time changed, or whose JDK library's digest changed (a JDK upgraded in place); one whose
 * record has no archive, or an archive without a record; after a build for a module, every other
 * archive recorded for that module (its previous jar, or its previous JDK); and then the oldest
 * records beyond {@value #MAX_ARCHIVES}. It runs on the archives' builder thread: at the loader's
 * start and after each build, so never beside a build.
 */
final class ClassDataSweep {
  private static final System.Logger LOG = System.getLogger("blvm.loader.class-data");

  /** At most this many archives are kept. */
  static final int MAX_ARCHIVES = 64;

  private static final Pattern OWN = Pattern.compile("[0-9a-f]{64}\\.(jsa|jni|record)");
  private static final int SELF_UID = selfUid();

  private final Path dir;
  private final FileDigests files;

  /** Names of foreign files already logged; touched by the builder thread only. */
  private final Set<String> foreignLogged = new HashSet<>();

  ClassDataSweep(Path dir, FileDigests files) {
    this.dir = dir;
    this.files = files;
  }

  /**
   * Sweeps the directory; {@code builtKey} and {@code moduleId} name the build that just ended
   * (both null at the start). Failures are logged; a sweep never throws.
   */
  void run(String builtKey, String moduleId) {
    try {
      sweep(builtKey, moduleId);
    } catch (IOException | RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "cannot sweep {0}: {1}", dir, e.toString());
    }
  }

  private void sweep(String builtKey, String moduleId) throws IOException {
    List<Path> entries = new ArrayList<>();
    try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
      s.forEach(entries::add);
    }
    Set<String> names = new HashSet<>();
    for (Path p : entries) {
      names.add(p.getFileName().toString());
    }
    List<Path> kept = new ArrayList<>();
    for (Path p : entries) {
      String name = p.getFileName().toString();
      boolean own = loaderOwnedEntry(p);
      if (name.startsWith(".work-") && Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)
          || own && name.endsWith(".tmp")) {
        deleteTree(p); // a build's leftover (a build's work directory belongs to the sandbox user)
        continue;
      }
      if (!own || !OWN.matcher(name).matches()) {
        if (foreignLogged.size() < 1024 && foreignLogged.add(name)) {
          LOG.log(
              System.Logger.Level.WARNING,
              "{0} in the class-data directory is not the loader''s: left alone",
              p);
        }
        continue;
      }
      String key = name.substring(0, 64);
      if (name.endsWith(".jsa") || name.endsWith(".jni")) {
        if (!names.contains(key + ".record")) {
          delete(p, "it has no record");
        }
        continue;
      }
      String why = stale(p, key, builtKey, moduleId, names);
      if (why == null) {
        kept.add(p);
      } else {
        deletePair(key, p, why);
      }
    }
    if (kept.size() > MAX_ARCHIVES) {
      kept.sort(Comparator.comparing(ClassDataSweep::modified));
      for (Path p : kept.subList(0, kept.size() - MAX_ARCHIVES)) {
        String key = p.getFileName().toString().substring(0, 64);
        if (!key.equals(builtKey)) {
          String why = "more than " + MAX_ARCHIVES + " archives are kept; it is among the oldest";
          deletePair(key, p, why);
        }
      }
    }
  }

  /** Why the record {@code p} and its archive are no longer used; null while they may be. */
  private String stale(Path p, String key, String builtKey, String moduleId, Set<String> names)
      throws IOException {
    if (!names.contains(key + ".jsa")) {
      return "it has no archive";
    }
    if (key.equals(builtKey)) {
      return null;
    }
    String text = files.text(p);
    String module = field(text, "module");
    if (moduleId != null && moduleId.equals(module)) {
      return "module " + moduleId + " has a new archive";
    }
    String java = field(text, "java");
    String libjvm = field(text, "libjvm");
    String jar = field(text, "jar");
    if (java == null || libjvm == null || jar == null || module == null) {
      return "its record is incomplete";
    }
    Path launcher = Path.of(java);
    if (!Files.isRegularFile(launcher)) {
      return "its JDK is gone";
    }
    Path lib = launcher.getParent().getParent().resolve("lib").resolve("server");
    Path libFile = lib.resolve("libjvm.so");
    if (!Files.isRegularFile(libFile) || !files.sha256(libFile).equals(libjvm)) {
      return "its JDK changed";
    }
    // "<path> <digest> <size> <time>": the path may hold spaces
    int time = jar.lastIndexOf(' ');
    int size = time < 0 ? -1 : jar.lastIndexOf(' ', time - 1);
    int digest = size < 0 ? -1 : jar.lastIndexOf(' ', size - 1);
    if (digest <= 0) {
      return "its record is incomplete";
    }
    Path jarFile = Path.of(jar.substring(0, digest));
    if (!Files.isRegularFile(jarFile, LinkOption.NOFOLLOW_LINKS)
        || !Long.toString(Files.size(jarFile)).equals(jar.substring(size + 1, time))
        || !Long.toString(Files.getLastModifiedTime(jarFile).toMillis())
            .equals(jar.substring(time + 1))) {
      return "its jar is gone or changed";
    }
    return null;
  }

  /** The value of the record line {@code "<name> <value>"}, or null. */
  static String field(String record, String name) {
    for (String line : record.split("\n")) {
      if (line.startsWith(name + " ")) {
        return line.substring(name.length() + 1);
      }
    }
    return null;
  }

  /** Deletes the archive of {@code key}, its library if any, and its {@code record}. */
  private void deletePair(String key, Path record, String why) {
    delete(dir.resolve(key + ".jsa"), why);
    delete(dir.resolve(key + ".jni"), why);
    delete(record, why);
  }

  private void delete(Path p, String why) {
    try {
      if (Files.deleteIfExists(p)) {
        LOG.log(System.Logger.Level.INFO, "class-data file {0} removed: {1}", p, why);
      }
    } catch (IOException e) {
      LOG.log(System.Logger.Level.WARNING, "cannot remove {0}: {1}", p, e.toString());
    }
    files.forget(p);
  }

  private static FileTime modified(Path p) {
    try {
      return Files.getLastModifiedTime(p, LinkOption.NOFOLLOW_LINKS);
    } catch (IOException e) {
      return FileTime.fromMillis(0);
    }
  }

  /** A regular file or directory of this process's user, not writable by group or others. */
  static boolean loaderOwned(Path p) throws IOException {
    Map<String, Object> a =
        Files.readAttributes(p, "unix:uid,mode,isSymbolicLink", LinkOption.NOFOLLOW_LINKS);
    int mode = (Integer) a.get("mode");
    return !(Boolean) a.get("isSymbolicLink")
        && (Integer) a.get("uid") == SELF_UID
        && (mode & 0022) == 0;
  }

  private static boolean loaderOwnedEntry(Path p) {
    try {
      return loaderOwned(p);
    } catch (IOException e) {
      return false;
    }
  }

  private static int selfUid() {
    try {
      return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  /** Deepest directory level below a work directory that {@link #deleteTree} descends into. */
  static final int MAX_DEPTH = 32;

  /**
   * Removes {@code p} and, when it is a directory (not a link to one), everything below it. Below
   * {@code p}, whose parent only the loader may write, the entries may have been written by the
   * sandbox user (a build's work directory), so they are removed relative to opened directories
   * ({@link SecureDirectoryStream}: {@code openat} without following links, {@code unlinkat}): an
   * entry swapped for a link while the walk runs is removed as a link, never followed.
   */
  static void deleteTree(Path p) {
    try {
      if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
        try (DirectoryStream<Path> s = Files.newDirectoryStream(p)) {
          if (!(s instanceof SecureDirectoryStream)) {
            throw new IOException("this platform cannot remove a directory tree without races");
          }
          deleteContents((SecureDirectoryStream<Path>) s, 1);
        }
      }
      Files.deleteIfExists(p);
    } catch (IOException | RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "cannot remove {0}: {1}", p, e.toString());
    }
  }

  private static void deleteContents(SecureDirectoryStream<Path> dir, int depth)
      throws IOException {
    if (depth > MAX_DEPTH) {
      throw new IOException("more than " + MAX_DEPTH + " directory levels");
    }
    for (Path entry : dir) {
      Path name = entry.getFileName();
      BasicFileAttributes a =
          dir.getFileAttributeView(name, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
              .readAttributes();
      if (a.isDirectory()) {
        try (SecureDirectoryStream<Path> sub =
            dir.newDirectoryStream(name, LinkOption.NOFOLLOW_LINKS)) {
          deleteContents(sub, depth + 1);
        }
        dir.deleteDirectory(name);
      } else {
        dir.deleteFile(name);
      }
    }
  }
}
