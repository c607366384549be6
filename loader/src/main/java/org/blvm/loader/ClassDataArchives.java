package org.blvm.loader;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/**
 * Class-data-sharing archives of JVM modules, built and kept by the loader in {@code <data
 * root>/.class-data} (0755, files 0644, owned by the loader's user; a module sees only its own
 * archive, bound read-only). One archive per module jar (the verified copy in the admission store,
 * whose path the archive names) and JDK: the JDK's own default class list plus every class of the
 * jar (the SDK and its dependencies included), so nothing a module ran decides what is in it.
 *
 * <p>An archive is built in the background after the first launch that finds none, by a {@link
 * Dumper} (a sandbox: the dump parses the module's class files but runs none of its code, and its
 * only writable directory is a work directory no module can reach). The loader copies the result
 * into its own file, records the copy's SHA-256 and the inputs' digests beside it, and hands an
 * archive to a launch only while its digest matches the record; one that does not is deleted and
 * rebuilt. A missing archive only slows a start; it is never a reason not to start.
 *
 * <p>Thread-safe: one builder thread ({@code blvm-loader-class-data}), at most {@value
 * #MAX_PENDING} builds waiting.
 */
final class ClassDataArchives implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger("blvm.loader.class-data");

  /** The archives' directory below the loader's data root. */
  static final String DIR_NAME = ".class-data";

  static final long MAX_ARCHIVE_BYTES = 512L << 20;
  static final int MAX_CLASSES = 50_000;
  static final int MAX_PENDING = 16;
  private static final String FORMAT = "blvm-class-data/1";
  private static final Pattern CLASS_NAME = Pattern.compile("[A-Za-z0-9_$]+(/[A-Za-z0-9_$]+)*");
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

  /** What a file looked like when its digest was taken: any change is a new file. */
  private record Seen(Object fileKey, Object ctime, long size) {}

  private record Digest(Seen seen, String hex) {}

  private final Path dir;
  private final Dumper dumper;
  private final ExecutorService builder;

  /** guarded by this: keys being built or waiting */
  private final Set<String> pending = new HashSet<>();

  /** guarded by this: digests taken, by path */
  private final Map<Path, Digest> digests = new HashMap<>();

  ClassDataArchives(Path dir, Dumper dumper) {
    this.dir = dir;
    this.dumper = dumper;
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
  }

  /** The archive's path for {@code key} (built or not). */
  Path archivePath(String key) {
    return dir.resolve(key + ".jsa");
  }

  /**
   * The archive a JVM running {@code jar} with {@code java} may map, when one is built and matches
   * its record; otherwise empty, and a build is scheduled.
   */
  Optional<Path> archiveFor(Path java, Path jar) {
    String key;
    String inputs;
    try {
      inputs = inputs(java, jar);
      key = sha256Hex(inputs.getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      LOG.log(System.Logger.Level.WARNING, "no class-data archive for {0}: {1}", jar, e.toString());
      return Optional.empty();
    }
    Path archive = archivePath(key);
    Path record = dir.resolve(key + ".record");
    try {
      if (Files.exists(archive, LinkOption.NOFOLLOW_LINKS)
          && Files.exists(record, LinkOption.NOFOLLOW_LINKS)) {
        String expected = expectedRecord(recordedDigest(record), inputs);
        String found = expectedRecord(digestOf(archive), inputs);
        if (loaderOwned(archive) && loaderOwned(record) && expected.equals(readRecord(record))) {
          if (found.equals(expected)) {
            return Optional.of(archive);
          }
        }
        LOG.log(
            System.Logger.Level.WARNING,
            "class-data archive {0} does not match its record (or is not the loader''s own file):"
                + " not used, rebuilt",
            archive);
        Files.deleteIfExists(archive);
        Files.deleteIfExists(record);
      }
    } catch (IOException e) {
      LOG.log(
          System.Logger.Level.WARNING,
          "class-data archive {0} cannot be checked, not used: {1}",
          archive,
          e.toString());
      return Optional.empty();
    }
    schedule(key, inputs, java, jar);
    return Optional.empty();
  }

  private void schedule(String key, String inputs, Path java, Path jar) {
    synchronized (this) {
      if (!pending.add(key)) {
        return;
      }
    }
    try {
      builder.execute(
          () -> {
            try {
              build(key, inputs, java, jar);
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
  void build(String key, String inputs, Path java, Path jar) throws IOException {
    ensureDir();
    Path work = Files.createTempDirectory(dir, ".work-");
    try {
      Path javaHome = java.toRealPath().getParent().getParent();
      Path list = work.resolve("classlist");
      List<String> classes = classList(javaHome.resolve("lib").resolve("classlist"), jar);
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
      Files.move(tmp, archive, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      Path recordTmp = dir.resolve(key + ".record.tmp");
      Files.writeString(recordTmp, expectedRecord(hex, inputs), StandardCharsets.UTF_8);
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
      deleteTree(work);
    }
  }

  /** Creates the directory, or checks the one found: the loader's own, writable by no one else. */
  private void ensureDir() throws IOException {
    if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
      Files.createDirectory(dir);
      Files.setPosixFilePermissions(dir, DIR_0755);
    }
    if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS) || !loaderOwned(dir)) {
      throw new IOException(
          dir + " is not a directory of the loader's user writable by it alone; remove it");
    }
  }

  /** Regular file or directory, owned by this process's user, not writable by group or others. */
  private static boolean loaderOwned(Path p) throws IOException {
    Map<String, Object> a =
        Files.readAttributes(p, "unix:uid,mode,isSymbolicLink", LinkOption.NOFOLLOW_LINKS);
    int mode = (Integer) a.get("mode");
    int self = (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
    return !(Boolean) a.get("isSymbolicLink")
        && (Integer) a.get("uid") == self
        && (mode & 0022) == 0;
  }

  /**
   * The class list: the JDK's default list (its {@code lib/classlist}, its lambda lines included)
   * and every class file of {@code jar} by name (never a lambda line from the jar), including those
   * of a multi-release jar's versioned directories, by name; at most {@value #MAX_CLASSES}.
   */
  static List<String> classList(Path jdkClassList, Path jar) throws IOException {
    Set<String> names = new TreeSet<>();
    List<String> out = new ArrayList<>();
    if (Files.isRegularFile(jdkClassList)) {
      for (String line : Files.readAllLines(jdkClassList, StandardCharsets.UTF_8)) {
        String l = line.strip();
        // the JDK's own lambda lines (@lambda-proxy, @lambda-form-invoker) too: trusted input
        if ((l.startsWith("@") || CLASS_NAME.matcher(l).matches()) && names.add(l)) {
          out.add(l);
        }
      }
    }
    try (ZipInputStream z = new ZipInputStream(Files.newInputStream(jar))) {
      for (ZipEntry e; (e = z.getNextEntry()) != null; ) {
        String n = e.getName();
        if (n.startsWith("META-INF/versions/")) {
          int slash = n.indexOf('/', "META-INF/versions/".length());
          n = slash < 0 ? "" : n.substring(slash + 1);
        }
        if (!n.endsWith(".class")) {
          continue;
        }
        n = n.substring(0, n.length() - ".class".length());
        if (CLASS_NAME.matcher(n).matches()
            && !n.endsWith("module-info")
            && !n.endsWith("package-info")
            && names.add(n)) {
          out.add(n);
          if (out.size() > MAX_CLASSES) {
            throw new IOException(jar + " holds more than " + MAX_CLASSES + " classes");
          }
        }
      }
    }
    return out;
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
        + digestOf(libjvm)
        + "\nmodules "
        + Files.size(modules)
        + " "
        + Files.getLastModifiedTime(modules).toMillis()
        + "\njar "
        + jar
        + " "
        + digestOf(jar)
        + " "
        + Files.size(jar)
        + " "
        + Files.getLastModifiedTime(jar).toMillis()
        + "\n";
  }

  private static String expectedRecord(String archiveHex, String inputs) {
    return inputs + "archive " + archiveHex + "\n";
  }

  private static String readRecord(Path record) throws IOException {
    if (Files.size(record) > 64 << 10) {
      throw new IOException(record + " is larger than a record");
    }
    return Files.readString(record, StandardCharsets.UTF_8);
  }

  private static String recordedDigest(Path record) throws IOException {
    String text = readRecord(record);
    int at = text.lastIndexOf("archive ");
    return at < 0 ? "" : text.substring(at + "archive ".length()).strip();
  }

  /** The file's SHA-256, taken again only when the file changed since it was last taken. */
  private String digestOf(Path p) throws IOException {
    Map<String, Object> a =
        Files.readAttributes(p, "unix:ino,dev,ctime,size", LinkOption.NOFOLLOW_LINKS);
    Seen seen = new Seen(a.get("dev") + ":" + a.get("ino"), a.get("ctime"), (Long) a.get("size"));
    synchronized (this) {
      Digest d = digests.get(p);
      if (d != null && d.seen().equals(seen)) {
        return d.hex();
      }
    }
    MessageDigest md = sha256();
    try (InputStream in = Files.newInputStream(p, LinkOption.NOFOLLOW_LINKS)) {
      byte[] buf = new byte[1 << 16];
      for (int n; (n = in.read(buf)) > 0; ) {
        md.update(buf, 0, n);
      }
    }
    String hex = HexFormat.of().formatHex(md.digest());
    synchronized (this) {
      digests.put(p, new Digest(seen, hex));
    }
    return hex;
  }

  /**
   * Copies the dump's output (a regular file, bounded) into a new loader-owned file; its digest.
   */
  private static String copyChecked(Path from, Path to) throws IOException {
    MessageDigest md = sha256();
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

  private static void deleteTree(Path p) {
    try {
      if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
        try (DirectoryStream<Path> s = Files.newDirectoryStream(p)) {
          for (Path c : s) {
            deleteTree(c);
          }
        }
      }
      Files.deleteIfExists(p);
    } catch (IOException e) {
      LOG.log(System.Logger.Level.WARNING, "cannot remove {0}: {1}", p, e.toString());
    }
  }

  static String sha256Hex(byte[] b) {
    return HexFormat.of().formatHex(sha256().digest(b));
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    builder.shutdownNow();
  }
}
