package org.blvm.loader;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Class-data-sharing archives of JVM modules, built and kept by the loader in {@code <data
 * root>/.class-data} (0755, files 0644, owned by the loader's user; a module sees only its own
 * archive, bound read-only). One archive per module jar (the verified copy in the admission store,
 * whose path the archive names) and JDK: the JDK's own default class list plus the classes the SDK
 * loads before its hello ({@link ClassDataList}), so nothing a module ran or named decides what is
 * in it, and the archive stays about the JDK's own size (the JVM relocates it whole at each start).
 * The jar's junixsocket library, if any, is copied beside it ({@link JniLibrary}).
 *
 * <p>An archive is built in the background after the first launch that finds none (once that launch
 * ended: the module's hello was read), by a {@link Dumper} (a sandbox: the dump parses the module's
 * class files but runs none of its code, and its only writable directory is a work directory no
 * module can reach). The loader copies the result into its own file, records the copy's SHA-256 and
 * the inputs' digests beside it, and hands an archive to a launch only while its digest matches the
 * record; one that does not is deleted and rebuilt. A missing archive only slows a start; it is
 * never a reason not to start. After the module's hello the loader checks that its JVM mapped the
 * archive ({@link #checkMapped}); one the JVM ignored is reported, removed and rebuilt once.
 * Archives of inputs no module uses any more are removed ({@link ClassDataSweep}).
 *
 * <p>Over 400 lines: lookup, build, and the check of a JVM's use of an archive share one state
 * (pending, deferred and ignored keys); the class list, digests and sweep are classes of their own.
 *
 * <p>Thread-safe: one builder thread ({@code blvm-loader-class-data}), at most {@value
 * #MAX_PENDING} builds waiting.
 */
final class ClassDataArchives implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger("blvm.loader.class-data");

  /** The archives' directory below the loader's data root. */
  static final String DIR_NAME = ".class-data";

  static final long MAX_ARCHIVE_BYTES = 512L << 20;
  static final int MAX_PENDING = 16;
  private static final String FORMAT = "blvm-class-data/1";
  private static final Set<PosixFilePermission> DIR_0755 =
      PosixFilePermissions.fromString("rwxr-xr-x");
  private static final Set<PosixFilePermission> FILE_0644 =
      PosixFilePermissions.fromString("rw-r--r--");

  /** Runs the dump, confined. */
  interface Dumper {
    /**
     * Runs {@code java} with {@code args} with {@code jarDir} readable and {@code workDir} the only
     * writable directory, until it exits or a deadline passes (then it is killed).
     *
     * @return its exit status
     * @throws IOException when it cannot be run or did not end in time (the message says which)
     */
    int dump(Path java, List<String> args, Path jarDir, Path workDir) throws IOException;
  }

  /** At most this many archives are remembered as ignored by a JVM (then all are forgotten). */
  static final int MAX_IGNORED = 1024;

  private final Path dir;
  private final Dumper dumper;
  private final ExecutorService builder;
  private final FileDigests files = new FileDigests();
  private final ClassDataSweep sweep;

  /** guarded by this: keys being built or waiting */
  private final Set<String> pending = new HashSet<>();

  /** guarded by this: the build each module's current launch asked for, run when it ended */
  private final Map<String, Runnable> deferred = new HashMap<>();

  /** guarded by this: keys of archives a JVM ignored once (warned, rebuilt) */
  private final Set<String> ignoredOnce = new HashSet<>();

  /** guarded by this: keys of archives a JVM ignored again after their rebuild: not handed out */
  private final Set<String> refused = new HashSet<>();

  /**
   * @param dir the archives' directory; swept on the builder thread first ({@link ClassDataSweep})
   */
  ClassDataArchives(Path dir, Dumper dumper) {
    this.dir = dir;
    this.dumper = dumper;
    this.sweep = new ClassDataSweep(dir, files);
    ThreadPoolExecutor b =
        new ThreadPoolExecutor(
            1,
            1,
            10,
            TimeUnit.SECONDS,
            new LinkedBlockingQueue<>(MAX_PENDING),
            r -> {
              Thread t = new Thread(r, "blvm-loader-class-data");
              t.setDaemon(true);
              return t;
            });
    b.allowCoreThreadTimeOut(true); // no thread while nothing is built
    this.builder = b;
    if (Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
      try {
        b.execute(() -> sweep.run(null, null));
      } catch (RejectedExecutionException e) {
        // not reached: the queue is empty
      }
    }
  }

  /** The archive's path for {@code key} (built or not). */
  Path archivePath(String key) {
    return dir.resolve(key + ".jsa");
  }

  /**
   * The junixsocket library copied out of the archive's jar beside {@code archive} ({@link
   * JniLibrary}); it exists only when the jar had one, and {@link #archiveFor} hands out an archive
   * only while that file matches the record too.
   */
  static Path libraryOf(Path archive) {
    String name = archive.getFileName().toString();
    return archive.resolveSibling(name.substring(0, name.length() - ".jsa".length()) + ".jni");
  }

  /**
   * The archive a JVM running {@code jar} with {@code java} for module {@code moduleId} may map,
   * when one is built and matches its record; otherwise empty, and a build is scheduled when this
   * launch ends ({@link #launchEnded}; none for an archive a JVM ignored again after its rebuild).
   */
  Optional<Path> archiveFor(String moduleId, Path java, Path jar) {
    String key;
    String inputs;
    try {
      inputs = inputs(java, jar);
      key = FileDigests.sha256Hex(inputs.getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      LOG.log(System.Logger.Level.WARNING, "no class-data archive for {0}: {1}", jar, e.toString());
      return Optional.empty();
    }
    synchronized (this) {
      if (refused.contains(key)) {
        return Optional.empty();
      }
    }
    Path archive = archivePath(key);
    Path record = dir.resolve(key + ".record");
    try {
      if (Files.exists(archive, LinkOption.NOFOLLOW_LINKS)
          && Files.exists(record, LinkOption.NOFOLLOW_LINKS)) {
        if (ClassDataSweep.loaderOwned(archive) && ClassDataSweep.loaderOwned(record)) {
          String text = files.text(record);
          String found = files.sha256(archive);
          String library = ClassDataSweep.field(text, "library");
          if (text.startsWith(inputs)
              && text.endsWith("\narchive " + found + "\n")
              && ClassDataSweep.field(text, "module") != null
              && (library == null
                  ? !Files.exists(libraryOf(archive), LinkOption.NOFOLLOW_LINKS)
                  : ClassDataSweep.loaderOwned(libraryOf(archive))
                      && library.equals(files.sha256(libraryOf(archive))))) {
            return Optional.of(archive);
          }
        }
        LOG.log(
            System.Logger.Level.WARNING,
            "class-data archive {0} does not match its record (or is not the loader''s own file):"
                + " not used, rebuilt",
            archive);
        remove(key);
      }
    } catch (IOException e) {
      LOG.log(
          System.Logger.Level.WARNING,
          "class-data archive {0} cannot be checked, not used: {1}",
          archive,
          e.toString());
      return Optional.empty();
    }
    synchronized (this) {
      if (deferred.size() < MAX_IGNORED || deferred.containsKey(moduleId)) {
        deferred.put(moduleId, () -> schedule(key, inputs, moduleId, java, jar));
      }
    }
    return Optional.empty();
  }

  /**
   * Module {@code moduleId}'s launch ended (its hello was read, its connection started): the build
   * its launch asked for, if any, is scheduled now, so that the dump never competes with that
   * module's own start.
   */
  void launchEnded(String moduleId) {
    Runnable r;
    synchronized (this) {
      r = deferred.remove(moduleId);
    }
    if (r != null) {
      r.run();
    }
  }

  /**
   * Checks, after module {@code moduleId}'s hello, that its JVM (process {@code pid}) mapped the
   * {@code archive} it was given. One it did not map (the JVM's {@code -Xshare:auto} fell back to
   * no class sharing) is logged at WARNING, removed and rebuilt; when the rebuilt one is ignored
   * too, it is logged once more and no longer handed out until the loader restarts.
   *
   * @return whether it was mapped; empty when that cannot be told ({@link ArchiveMaps})
   */
  Optional<Boolean> checkMapped(String moduleId, Path archive, long pid) {
    Optional<Boolean> mapped = ArchiveMaps.mapped(pid, archive);
    if (mapped.isEmpty() || mapped.get()) {
      return mapped;
    }
    String name = archive.getFileName().toString();
    String key = name.substring(0, name.length() - ".jsa".length());
    boolean again;
    synchronized (this) {
      if (ignoredOnce.size() >= MAX_IGNORED) {
        ignoredOnce.clear();
      }
      again = !ignoredOnce.add(key);
      if (again) {
        refused.add(key);
      }
    }
    LOG.log(
        System.Logger.Level.WARNING,
        again
            ? "module {0}: its JVM ignored the rebuilt class-data archive {1} as well: it is no"
                + " longer passed to modules until the loader restarts (they start with the JDK''s"
                + " own archive only)"
            : "module {0}: its JVM did not map the class-data archive {1} it was given, and so"
                + " runs without any class sharing (-Xshare:auto fell back: the JDK changed since"
                + " the archive was built, the archive comes from another JVM build, or the JVM"
                + " options differ from the dump''s); the archive is removed and rebuilt",
        moduleId,
        archive);
    try {
      remove(key);
    } catch (IOException e) {
      LOG.log(System.Logger.Level.WARNING, "cannot remove {0}: {1}", archive, e.toString());
    }
    return mapped;
  }

  /** Deletes the archive and record of {@code key}. */
  private void remove(String key) throws IOException {
    for (Path p :
        List.of(archivePath(key), libraryOf(archivePath(key)), dir.resolve(key + ".record"))) {
      Files.deleteIfExists(p);
      files.forget(p);
    }
  }

  /** How many times an input file was hashed or a record read (not answered from memory). */
  long filesRead() {
    return files.filesRead();
  }

  private void schedule(String key, String inputs, String moduleId, Path java, Path jar) {
    synchronized (this) {
      if (!pending.add(key)) {
        return;
      }
    }
    try {
      builder.execute(
          () -> {
            try {
              build(key, inputs, moduleId, java, jar);
              sweep.run(key, moduleId);
            } catch (IOException | RuntimeException e) {
              LOG.log(
                  System.Logger.Level.WARNING,
                  "class-data archive for {0} not built (modules using it start without it): {1}",
                  jar,
                  e.toString());
            } finally {
              synchronized (this) {
                pending.remove(key);
              }
            }
          });
    } catch (RejectedExecutionException e) {
      synchronized (this) {
        pending.remove(key);
      }
    }
  }

  /** Builds the archive of {@code key} (on the builder thread). */
  void build(String key, String inputs, String moduleId, Path java, Path jar) throws IOException {
    ensureDir();
    Path work = Files.createTempDirectory(dir, ".work-");
    try {
      Path javaHome = java.toRealPath().getParent().getParent();
      Path list = work.resolve("classlist");
      List<String> classes = ClassDataList.of(javaHome.resolve("lib").resolve("classlist"));
      Files.write(list, classes, StandardCharsets.UTF_8);
      Files.setPosixFilePermissions(list, FILE_0644);
      Path out = work.resolve("out.jsa");
      List<String> args =
          List.of(
              "-Xshare:dump",
              "-XX:SharedClassListFile=" + list,
              "-XX:SharedArchiveFile=" + out,
              "-XX:+UseSerialGC",
              "-XX:-UsePerfData",
              "-XX:+DisableAttachMechanism",
              "-XX:ActiveProcessorCount=1",
              "-Xmx128m",
              "-cp",
              jar.toString());
      int status = dumper.dump(java, args, jar.getParent(), work);
      if (status != 0) {
        throw new IOException("the dump exited with status " + status);
      }
      Path archive = archivePath(key);
      Path tmp = dir.resolve(key + ".jsa.tmp");
      String hex = copyChecked(out, tmp);
      Object copied = FileDigests.fileKey(tmp);
      Files.move(tmp, archive, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      // the digest taken while copying is the archive's, as long as the file is the copy: the next
      // launch need not hash it again (any later change of the file changes its change time)
      files.taken(archive, copied, hex);
      String library = "";
      String entry = JniLibrary.entry(jar);
      if (entry != null) {
        Path lib = libraryOf(archive);
        Path libTmp = dir.resolve(key + ".jni.tmp");
        String libHex = JniLibrary.copy(jar, entry, libTmp);
        Object libKey = FileDigests.fileKey(libTmp);
        Files.move(
            libTmp, lib, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        files.taken(lib, libKey, libHex);
        library = "library " + libHex + "\n";
      }
      Path recordTmp = dir.resolve(key + ".record.tmp");
      Files.writeString(
          recordTmp,
          inputs + "module " + moduleId + "\n" + library + "archive " + hex + "\n",
          StandardCharsets.UTF_8);
      Files.setPosixFilePermissions(recordTmp, FILE_0644);
      Files.move(
          recordTmp,
          dir.resolve(key + ".record"),
          StandardCopyOption.ATOMIC_MOVE,
          StandardCopyOption.REPLACE_EXISTING);
      LOG.log(
          System.Logger.Level.INFO,
          "class-data archive built for {0}: {1} ({2} classes listed, {3} bytes)",
          jar,
          archive,
          Integer.toString(classes.size()),
          Long.toString(Files.size(archive)));
    } finally {
      ClassDataSweep.deleteTree(work);
    }
  }

  /** Creates the directory, or checks the one found: the loader's own, writable by no one else. */
  private void ensureDir() throws IOException {
    if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
      Files.createDirectory(dir);
      Files.setPosixFilePermissions(dir, DIR_0755);
    }
    if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS) || !ClassDataSweep.loaderOwned(dir)) {
      throw new IOException(
          dir + " is not a directory of the loader's user writable by it alone; remove it");
    }
  }

  /**
   * What the archive depends on, as text: the format, the JDK (its launcher's real path, the digest
   * of its JVM library, the size and time of its module image) and the jar (path, digest, size,
   * time: the JVM refuses an archive whose jar changed).
   */
  private String inputs(Path java, Path jar) throws IOException {
    Path home = java.toRealPath().getParent().getParent();
    Path libjvm = home.resolve("lib").resolve("server").resolve("libjvm.so");
    Path modules = home.resolve("lib").resolve("modules");
    return FORMAT
        + "\njava "
        + java.toRealPath()
        + "\nlibjvm "
        + files.sha256(libjvm)
        + "\nmodules "
        + Files.size(modules)
        + " "
        + Files.getLastModifiedTime(modules).toMillis()
        + "\njar "
        + jar
        + " "
        + files.sha256(jar)
        + " "
        + Files.size(jar)
        + " "
        + Files.getLastModifiedTime(jar).toMillis()
        + "\n";
  }

  /**
   * Copies the dump's output (a regular file, bounded) into a new loader-owned file; its digest.
   */
  private static String copyChecked(Path from, Path to) throws IOException {
    MessageDigest md = FileDigests.newSha256();
    long total = 0;
    try (InputStream in =
            Files.newInputStream(from, LinkOption.NOFOLLOW_LINKS, StandardOpenOption.READ);
        FileChannel ch =
            FileChannel.open(
                to,
                Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                PosixFilePermissions.asFileAttribute(FILE_0644));
        OutputStream os = java.nio.channels.Channels.newOutputStream(ch)) {
      if (!Files.isRegularFile(from, LinkOption.NOFOLLOW_LINKS)) {
        throw new IOException("the dump's output is not a regular file");
      }
      byte[] buf = new byte[1 << 16];
      for (int n; (n = in.read(buf)) > 0; ) {
        total += n;
        if (total > MAX_ARCHIVE_BYTES) {
          throw new IOException("the dump's output is larger than " + MAX_ARCHIVE_BYTES + " bytes");
        }
        md.update(buf, 0, n);
        os.write(buf, 0, n);
      }
      ch.force(true);
    } catch (IOException e) {
      Files.deleteIfExists(to);
      throw e;
    }
    Files.setPosixFilePermissions(to, FILE_0644); // the umask may have narrowed it
    return HexFormat.of().formatHex(md.digest());
  }

  @Override
  public void close() {
    builder.shutdownNow();
  }
}
