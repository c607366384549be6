package org.blvm.policy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Reads a module directory once, hashing every file as it is read and, when asked, writing exactly
 * the bytes it hashed into a copy: what is copied is what was checked, and the original is never
 * read again. Directories are opened relative to their parent's descriptor and nothing is followed
 * through a symbolic link ({@link SecureDirectoryStream}, openat with O_NOFOLLOW), so a directory
 * swapped for a link while the tree is read is refused rather than followed.
 *
 * <p>Checks against the pins, when given: every pinned file present with its size and SHA-256; in
 * {@code whole} mode no other file (an added file is refused), otherwise the directory's other
 * files are not looked at (they are not part of a module whose manifest pins only its entry). No
 * symbolic link, device, fifo or socket; names as {@link ModuleFiles#pathProblem} allows; at most
 * {@link ModuleFiles#MAX_FILES} files, {@link #MAX_ENTRIES} entries looked at and {@link
 * ModuleFiles#MAX_TOTAL_BYTES} bytes; a file is read to at most its pinned size plus one byte.
 *
 * <p>Limit: an entry is checked (fstatat) before it is opened; a file swapped for a fifo in between
 * makes the open wait for a writer. Whoever can do that can write the module directory.
 */
final class FileTreeReader {
  /** Entries (files, directories, anything else) looked at in one read, at most. */
  static final int MAX_ENTRIES = 4 * ModuleFiles.MAX_FILES;

  private static final int BUFFER = 1 << 20;

  /** Sees each file right after it was opened, before it is read (tests change files there). */
  interface Observer {
    Observer NONE = path -> {};

    void opened(String path) throws IOException;
  }

  private final Path dir;
  private final ModuleFiles expected;
  private final boolean whole;
  private final Path copyInto;
  private final Observer observer;
  private final SortedMap<String, BinaryPin> found = new TreeMap<>();
  private final byte[] buf = new byte[BUFFER];
  private int entries;
  private long total;

  private FileTreeReader(
      Path dir, ModuleFiles expected, boolean whole, Path copyInto, Observer observer) {
    this.dir = dir;
    this.expected = expected;
    this.whole = whole;
    this.copyInto = copyInto;
    this.observer = observer;
  }

  /**
   * Reads the tree in {@code dir}.
   *
   * @param expected the pins to check, or null to take every file as found ({@code whole} then)
   * @param whole whether every file of the directory belongs to the module (else only the pinned)
   * @param copyInto an existing empty directory to copy the files into, or null to only hash them
   * @return the files read, with the pins found
   * @throws FileTreeException naming the path that is not as pinned or not allowed
   * @throws AdmissionStateException when the copy cannot be written
   */
  static ModuleFiles read(
      Path dir, ModuleFiles expected, boolean whole, Path copyInto, Observer observer)
      throws AdmissionException {
    FileTreeReader r =
        new FileTreeReader(dir, expected, whole || expected == null, copyInto, observer);
    r.run();
    return new ModuleFiles(r.found);
  }

  private void run() throws AdmissionException {
    DirectoryStream<Path> ds;
    try {
      ds = Files.newDirectoryStream(dir);
    } catch (IOException e) {
      throw unreadable("", e);
    }
    try (ds) {
      if (!(ds instanceof SecureDirectoryStream)) {
        throw new FileTreeException(
            dir,
            "",
            FileTreeException.Problem.UNREADABLE,
            null,
            null,
            "this platform cannot read a directory without following symbolic links");
      }
      walk((SecureDirectoryStream<Path>) ds, "");
    } catch (IOException e) {
      throw unreadable("", e);
    }
    if (expected != null) {
      for (Map.Entry<String, BinaryPin> e : expected.pins().entrySet()) {
        if (!found.containsKey(e.getKey())) {
          throw new FileTreeException(
              dir,
              e.getKey(),
              FileTreeException.Problem.REMOVED,
              e.getValue().sha256().hex(),
              null,
              "missing; the signed manifest pins it ("
                  + e.getValue().size()
                  + " bytes, SHA-256 "
                  + e.getValue().sha256()
                  + ")");
        }
      }
    }
  }

  private void walk(SecureDirectoryStream<Path> ds, String prefix) throws AdmissionException {
    List<Path> names = new ArrayList<>();
    try {
      for (Path p : ds) {
        if (++entries > MAX_ENTRIES) {
          throw new FileTreeException(
              dir,
              prefix,
              FileTreeException.Problem.LIMIT,
              Integer.toString(MAX_ENTRIES),
              null,
              "more than " + MAX_ENTRIES + " entries in the module directory");
        }
        names.add(p.getFileName());
      }
    } catch (DirectoryIteratorException e) {
      throw unreadable(prefix, e.getCause());
    }
    names.sort(Comparator.comparing(Path::toString));
    for (Path name : names) {
      String n = name.toString();
      String rel = prefix.isEmpty() ? n : prefix + "/" + n;
      if (prefix.isEmpty() && ModuleFiles.excluded(n)) {
        continue;
      }
      if (!whole && !listedOrAbove(rel)) {
        continue;
      }
      String problem = ModuleFiles.pathProblem(rel);
      if (problem != null) {
        throw new FileTreeException(
            dir,
            rel,
            FileTreeException.Problem.NAME,
            null,
            rel,
            "not a module file name: " + problem);
      }
      BasicFileAttributes a;
      try {
        a =
            ds.getFileAttributeView(name, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                .readAttributes();
      } catch (IOException e) {
        throw unreadable(rel, e);
      }
      if (a.isSymbolicLink()) {
        String target = linkTarget(rel);
        throw new FileTreeException(
            dir,
            rel,
            FileTreeException.Problem.SYMLINK,
            null,
            target,
            "a symbolic link (to " + target + "); a module's files must be real files");
      } else if (a.isDirectory()) {
        if (copyInto != null) {
          createCopyDirectory(rel);
        }
        try (SecureDirectoryStream<Path> sub =
            ds.newDirectoryStream(name, LinkOption.NOFOLLOW_LINKS)) {
          walk(sub, rel);
        } catch (IOException e) {
          throw unreadable(rel, e);
        }
      } else if (a.isRegularFile()) {
        readFile(ds, name, rel);
      } else {
        throw new FileTreeException(
            dir,
            rel,
            FileTreeException.Problem.SPECIAL,
            "regular file",
            "device, fifo or socket",
            "not a regular file or directory (a device, fifo or socket)");
      }
    }
  }

  /** Whether {@code rel} is a pinned file or a directory above one. */
  private boolean listedOrAbove(String rel) {
    SortedMap<String, BinaryPin> pins = expected.pins();
    if (pins.containsKey(rel)) {
      return true;
    }
    SortedMap<String, BinaryPin> below = pins.tailMap(rel + "/");
    return !below.isEmpty() && below.firstKey().startsWith(rel + "/");
  }

  private void readFile(SecureDirectoryStream<Path> ds, Path name, String rel)
      throws AdmissionException {
    BinaryPin pin = expected == null ? null : expected.pins().get(rel);
    if (expected != null && pin == null) {
      throw new FileTreeException(
          dir,
          rel,
          FileTreeException.Problem.ADDED,
          null,
          rel,
          "not in the signed manifest's [files]: added after signing (blvm-sign sign pins every"
              + " file of the directory)");
    }
    if (found.size() >= ModuleFiles.MAX_FILES) {
      throw new FileTreeException(
          dir,
          rel,
          FileTreeException.Problem.LIMIT,
          Integer.toString(ModuleFiles.MAX_FILES),
          null,
          "more than " + ModuleFiles.MAX_FILES + " files in the module directory");
    }
    long limit = pin != null ? pin.size() + 1 : ModuleFiles.MAX_TOTAL_BYTES - total + 1;
    MessageDigest md = Sha256.newDigest();
    long n = 0;
    FileChannel out = null;
    try (SeekableByteChannel in =
        ds.newByteChannel(name, Set.of(StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS))) {
      observer.opened(rel);
      if (copyInto != null) {
        out = createCopyFile(rel);
      }
      while (n < limit) {
        ByteBuffer bb = ByteBuffer.wrap(buf, 0, (int) Math.min(buf.length, limit - n));
        int r = in.read(bb);
        if (r < 0) {
          break;
        }
        md.update(buf, 0, r);
        if (out != null) {
          write(out, r, rel);
        }
        n += r;
      }
      if (out != null) {
        force(out, rel);
      }
    } catch (IOException e) {
      throw unreadable(rel, e);
    } finally {
      if (out != null) {
        try {
          out.close();
        } catch (IOException e) {
          // the copy is verified again before it is used
        }
      }
    }
    total += n;
    if (pin == null && total > ModuleFiles.MAX_TOTAL_BYTES) {
      throw new FileTreeException(
          dir,
          rel,
          FileTreeException.Problem.LIMIT,
          Long.toString(ModuleFiles.MAX_TOTAL_BYTES),
          null,
          "the module's files hold more than " + ModuleFiles.MAX_TOTAL_BYTES + " bytes");
    }
    Sha256 sha = Sha256.of(md.digest());
    if (pin != null && n != pin.size()) {
      throw new FileTreeException(
          dir,
          rel,
          FileTreeException.Problem.SIZE,
          Long.toString(pin.size()),
          n > pin.size() ? "more than " + pin.size() : Long.toString(n),
          "size is "
              + (n > pin.size() ? "more than " + pin.size() : Long.toString(n))
              + " bytes, the signed manifest pins "
              + pin.size());
    }
    if (pin != null && !sha.equals(pin.sha256())) {
      throw new FileTreeException(
          dir,
          rel,
          FileTreeException.Problem.CHANGED,
          pin.sha256().hex(),
          sha.hex(),
          "SHA-256 is " + sha + ", the signed manifest pins " + pin.sha256());
    }
    found.put(rel, new BinaryPin(sha, n));
  }

  private void createCopyDirectory(String rel) throws AdmissionStateException {
    Path d = copyInto.resolve(rel);
    try {
      Files.createDirectory(d, PosixFilePermissions.asFileAttribute(StateFiles.DIR_0700));
    } catch (IOException e) {
      throw new AdmissionStateException(d, "cannot write the module store: " + e, e);
    }
  }

  private FileChannel createCopyFile(String rel) throws AdmissionStateException {
    Path f = copyInto.resolve(rel);
    try {
      return FileChannel.open(
          f,
          Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
          PosixFilePermissions.asFileAttribute(StateFiles.FILE_0600));
    } catch (IOException e) {
      throw new AdmissionStateException(f, "cannot write the module store: " + e, e);
    }
  }

  private void write(FileChannel out, int length, String rel) throws AdmissionStateException {
    ByteBuffer bb = ByteBuffer.wrap(buf, 0, length);
    try {
      while (bb.hasRemaining()) {
        out.write(bb);
      }
    } catch (IOException e) {
      throw new AdmissionStateException(
          copyInto.resolve(rel), "cannot write the module store: " + e, e);
    }
  }

  private void force(FileChannel out, String rel) throws AdmissionStateException {
    try {
      out.force(true);
    } catch (IOException e) {
      throw new AdmissionStateException(
          copyInto.resolve(rel), "cannot write the module store: " + e, e);
    }
  }

  private String linkTarget(String rel) {
    try {
      return Files.readSymbolicLink(dir.resolve(rel)).toString();
    } catch (IOException | UnsupportedOperationException e) {
      return "(unreadable)";
    }
  }

  private FileTreeException unreadable(String rel, IOException e) {
    FileTreeException x =
        new FileTreeException(
            dir, rel, FileTreeException.Problem.UNREADABLE, null, null, "cannot read: " + e);
    x.initCause(e);
    return x;
  }
}
