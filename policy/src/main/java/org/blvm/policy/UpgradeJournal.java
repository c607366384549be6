package org.blvm.policy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * What lets an interrupted upgrade leave the previous version running: below {@code
 * STATE/upgrades/<name>/} (0700, the loader's state directory, out of every module's reach)
 *
 * <ul>
 *   <li>{@code manifests/<manifest sha256>/}: the exact manifest and signature files of each
 *       version admitted from the module directory ({@link #keep}), since the directory holds the
 *       next version once an operator copied it in;
 *   <li>{@code interrupted}: written durably before an upgrade (or a rollback) stops the running
 *       version ({@link #begin}), naming the manifest of the version that ran; removed when the
 *       upgrade ended either way ({@link #end});
 *   <li>{@code previous}: written when an upgrade succeeded ({@link #succeeded}), naming the
 *       manifest and stored tree of the version that ran before and the manifest of the version it
 *       was replaced by: what {@code modules rollback} returns to ({@link #previous});
 *   <li>{@code pinned}: written when a rollback succeeded ({@link #rolledBack}), naming the
 *       manifest of the version rolled back to: it runs at the next admission instead of the
 *       directory's, until an upgrade of the module ends with another version running.
 * </ul>
 *
 * <p>Each file is one line, written atomically (0600) and fsynced.
 *
 * <p>At the next admission of a module whose {@code interrupted} file is present (the node was
 * killed mid-upgrade), {@link #restoreDir} assembles a module directory from the kept manifest and
 * signatures and the files of the version's verified tree in the store (hard links, or copies), to
 * be admitted as a whole again: nothing here is trusted, every check runs on it as on any module
 * directory. Nothing in this class decides whether a module may run.
 *
 * <p>Not thread-safe per module: the loader admits and upgrades one module at a time.
 */
public final class UpgradeJournal {
  private static final String INTERRUPTED = "interrupted";
  private static final String PREVIOUS = "previous";
  private static final String PINNED = "pinned";
  private static final String MANIFEST = "module.toml";

  /**
   * The version that ran before the one that replaced it in a successful upgrade.
   *
   * @param manifest the SHA-256 of its manifest (kept below {@code manifests/})
   * @param tree the digest of its tree in the store
   * @param of the SHA-256 of the manifest of the version that replaced it
   */
  public record Previous(Sha256 manifest, Sha256 tree, Sha256 of) {}

  private final Path stateDir;
  private final Path root;

  public UpgradeJournal(Path stateDir) {
    this.stateDir = stateDir.toAbsolutePath().normalize();
    this.root = this.stateDir.resolve("upgrades");
  }

  /**
   * Keeps the manifest and signature files in {@code moduleDir} as those of {@code admitted}, if
   * the manifest there still hashes to the one admitted (the directory may have changed since);
   * returns whether they were kept. An unsigned module, or one whose manifest pins no files, is not
   * kept (its version cannot be restored from the store).
   */
  public boolean keep(AdmittedModule admitted, Path moduleDir) throws IOException {
    if (admitted.unsigned() || admitted.manifest().tree() == null) {
      return false;
    }
    byte[] manifest = readBounded(moduleDir.resolve(MANIFEST), ModuleManifest.MAX_BYTES);
    if (manifest == null || !Sha256.digest(manifest).equals(admitted.manifestSha256())) {
      return false;
    }
    List<Path> sigs;
    try {
      sigs = Admission.signatureFiles(moduleDir);
    } catch (AdmissionException e) {
      return false;
    }
    Path manifests = moduleRoot(admitted.manifest().name()).resolve("manifests");
    StateFiles.privateDir(root);
    StateFiles.privateDir(manifests.getParent());
    StateFiles.privateDir(manifests);
    Path tmp =
        Files.createTempDirectory(
            manifests, ".tmp-", PosixFilePermissions.asFileAttribute(StateFiles.DIR_0700));
    try {
      StateFiles.writeAtomically(tmp.resolve(MANIFEST), manifest, StateFiles.FILE_0600);
      for (Path s : sigs) {
        byte[] bytes = readBounded(s, MinisignSignature.MAX_FILE_BYTES);
        if (bytes == null) {
          return false;
        }
        StateFiles.writeAtomically(tmp.resolve(s.getFileName()), bytes, StateFiles.FILE_0600);
      }
      Path target = manifests.resolve(admitted.manifestSha256().hex());
      removeTree(target);
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
      StateFiles.fsyncDir(manifests);
      return true;
    } finally {
      removeTree(tmp);
    }
  }

  /**
   * Records, durably, that an upgrade of {@code running}'s module starts: until {@link #end}, the
   * next admission of the module restores {@code running} ({@link #restoreDir}).
   */
  public void begin(AdmittedModule running) throws IOException {
    Path dir = moduleRoot(running.manifest().name());
    StateFiles.privateDir(root);
    StateFiles.privateDir(dir);
    StateFiles.writeAtomically(
        dir.resolve(INTERRUPTED),
        (running.manifestSha256().hex() + "\n").getBytes(StandardCharsets.US_ASCII),
        StateFiles.FILE_0600);
  }

  /**
   * The upgrade of {@code module} ended; {@code running} (the version that runs now, or null) is
   * the only version kept from now on.
   */
  public void end(String module, AdmittedModule running) throws IOException {
    Path dir = moduleRoot(module);
    String keepName = running == null ? "" : running.manifestSha256().hex();
    Files.deleteIfExists(dir.resolve(INTERRUPTED));
    if (!keepName.equals(mark(dir.resolve(PINNED)))) {
      Files.deleteIfExists(dir.resolve(PINNED));
    }
    Path manifests = dir.resolve("manifests");
    if (!Files.isDirectory(manifests, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    Optional<Previous> previous = previous(module);
    String previousName = previous.map(p -> p.manifest().hex()).orElse("");
    List<Path> stale = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(manifests)) {
      for (Path p : ds) {
        String name = p.getFileName().toString();
        if (!name.equals(keepName) && !name.equals(previousName)) {
          stale.add(p);
        }
      }
    }
    for (Path p : stale) {
      removeTree(p);
    }
  }

  /**
   * The upgrade of {@code module} succeeded: {@code previous} ran before {@code running}, and is
   * what a rollback returns to ({@link #previous}); then as {@link #end} with {@code running}.
   */
  public void succeeded(String module, AdmittedModule previous, AdmittedModule running)
      throws IOException {
    Path dir = moduleRoot(module);
    StateFiles.privateDir(root);
    StateFiles.privateDir(dir);
    if (previous.unsigned() || previous.manifest().tree() == null) {
      Files.deleteIfExists(dir.resolve(PREVIOUS)); // cannot be restored from the store
    } else {
      StateFiles.writeAtomically(
          dir.resolve(PREVIOUS),
          (previous.manifestSha256().hex()
                  + " "
                  + previous.tree().digest().hex()
                  + " "
                  + running.manifestSha256().hex()
                  + "\n")
              .getBytes(StandardCharsets.US_ASCII),
          StateFiles.FILE_0600);
    }
    end(module, running);
  }

  /**
   * A rollback of {@code module} to {@code to} succeeded: {@code to} is pinned (it runs at the next
   * admission instead of the directory's version), no previous version is recorded any more (a
   * second rollback has nothing to go to), and as {@link #end} with {@code to}.
   */
  public void rolledBack(String module, AdmittedModule to) throws IOException {
    Path dir = moduleRoot(module);
    StateFiles.writeAtomically(
        dir.resolve(PINNED),
        (to.manifestSha256().hex() + "\n").getBytes(StandardCharsets.US_ASCII),
        StateFiles.FILE_0600);
    Files.deleteIfExists(dir.resolve(PREVIOUS));
    StateFiles.fsyncDir(dir);
    end(module, to);
  }

  /**
   * The version that ran before {@code module}'s last successful upgrade, if recorded.
   *
   * @throws IOException when the record cannot be read or is corrupt
   */
  public Optional<Previous> previous(String module) throws IOException {
    Path file = moduleRoot(module).resolve(PREVIOUS);
    byte[] b = readBounded(file, 256);
    if (b == null) {
      return Optional.empty();
    }
    String[] f = new String(b, StandardCharsets.US_ASCII).trim().split(" ", -1);
    if (f.length != 3 || !(f[0] + f[1] + f[2]).matches("[0-9a-f]{192}")) {
      throw new IOException(file + " is corrupt");
    }
    return Optional.of(new Previous(Sha256.parse(f[0]), Sha256.parse(f[1]), Sha256.parse(f[2])));
  }

  /** Whether {@code module} runs a version a rollback pinned ({@link #rolledBack}). */
  public boolean pinned(String module) {
    return Files.isRegularFile(moduleRoot(module).resolve(PINNED), LinkOption.NOFOLLOW_LINKS);
  }

  /**
   * Whether the next admission of {@code module} restores a version from this journal ({@link
   * #restoreDir}): an upgrade of it was interrupted, or a rollback pinned a version.
   */
  public boolean restoring(String module) {
    return interrupted(module) || pinned(module);
  }

  /** Whether an upgrade of {@code module} was begun and has not ended. */
  public boolean interrupted(String module) {
    return Files.isRegularFile(moduleRoot(module).resolve(INTERRUPTED), LinkOption.NOFOLLOW_LINKS);
  }

  /**
   * When an upgrade of {@code module} was interrupted: a module directory {@code
   * STATE/upgrades/<name>/restore/<name>/} holding the version that ran before it (its kept
   * manifest and signatures, and its files from the store), to admit as a whole; empty when no
   * upgrade was interrupted. Remove it with {@link #discardRestore} once admitted.
   *
   * @throws IOException when the version cannot be assembled (its manifest was not kept, its stored
   *     tree is missing or damaged: admission then refuses what is found)
   */
  public Optional<Path> restoreDir(String module) throws IOException {
    Path dir = moduleRoot(module);
    String sha = mark(dir.resolve(PINNED));
    if (sha == null) {
      sha = mark(dir.resolve(INTERRUPTED));
    }
    if (sha == null) {
      return Optional.empty();
    }
    return Optional.of(assemble(module, Sha256.parse(sha), null));
  }

  /**
   * Assembles {@code STATE/upgrades/<name>/restore/<name>/} from the kept manifest {@code manifest}
   * of {@code module} and the files of its tree in the store, to admit as a whole; the tree must be
   * {@code expectedTree} when that is not null. Remove it with {@link #discardRestore} once
   * admitted.
   *
   * @throws IOException when it cannot be assembled (the manifest was not kept, it pins another
   *     tree, the stored tree is missing)
   */
  public Path assemble(String module, Sha256 manifest, Sha256 expectedTree) throws IOException {
    Path dir = moduleRoot(module);
    String sha = manifest.hex();
    Path kept = dir.resolve("manifests").resolve(sha);
    byte[] manifestBytes = readBounded(kept.resolve(MANIFEST), ModuleManifest.MAX_BYTES);
    if (manifestBytes == null) {
      throw new IOException("the manifest of the version that ran before is not kept in " + kept);
    }
    ModuleManifest parsed;
    try {
      parsed = ModuleManifest.parse(kept.resolve(MANIFEST), manifestBytes);
    } catch (ManifestException e) {
      throw new IOException(e.getMessage(), e);
    }
    ModuleFiles files = parsed.tree();
    if (files == null) {
      throw new IOException(kept.resolve(MANIFEST) + " pins no files");
    }
    if (expectedTree != null && !files.digest().equals(expectedTree)) {
      throw new IOException(
          kept.resolve(MANIFEST) + " pins the tree " + files.digest() + ", not " + expectedTree);
    }
    Path tree = stateDir.resolve("store").resolve("trees").resolve(files.digest().hex());
    discardRestore(module);
    Path restore = dir.resolve("restore");
    StateFiles.privateDir(restore);
    Path target = Files.createDirectory(restore.resolve(module));
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(kept)) {
      for (Path p : ds) {
        Files.copy(p, target.resolve(p.getFileName()), LinkOption.NOFOLLOW_LINKS);
      }
    }
    for (Map.Entry<String, BinaryPin> e : files.pins().entrySet()) {
      Path from = tree.resolve(e.getKey());
      Path to = target.resolve(e.getKey());
      Files.createDirectories(to.getParent());
      try {
        Files.createLink(to, from);
      } catch (FileAlreadyExistsException ex) {
        throw ex;
      } catch (IOException | UnsupportedOperationException ex) {
        Files.copy(from, to, LinkOption.NOFOLLOW_LINKS);
      }
    }
    return target;
  }

  /** The SHA-256 hex one of this journal's one-line files names, or null when it is missing. */
  private static String mark(Path file) throws IOException {
    byte[] b = readBounded(file, 128);
    if (b == null) {
      return null;
    }
    String sha = new String(b, StandardCharsets.US_ASCII).trim();
    if (!sha.matches("[0-9a-f]{64}")) {
      throw new IOException(file + " is corrupt");
    }
    return sha;
  }

  /** Removes what {@link #restoreDir} assembled for {@code module}, if anything. */
  public void discardRestore(String module) throws IOException {
    removeTree(moduleRoot(module).resolve("restore"));
  }

  private Path moduleRoot(String module) {
    if (!module.matches("[a-z][a-z0-9-]{0,62}")) {
      throw new IllegalArgumentException("not a module name: " + module);
    }
    return root.resolve(module);
  }

  /** The file's bytes, or null when it is missing, not a regular file or over {@code max}. */
  private static byte[] readBounded(Path file, int max) throws IOException {
    if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
      return null;
    }
    try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
      byte[] b = in.readNBytes(max + 1);
      return b.length > max ? null : b;
    }
  }

  /** Deletes {@code dir} and everything below it (links are removed, never followed). */
  private static void removeTree(Path dir) throws IOException {
    if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    List<Path> all;
    try (Stream<Path> s = Files.walk(dir)) {
      all = s.sorted(Comparator.reverseOrder()).toList();
    }
    for (Path p : all) {
      Files.deleteIfExists(p);
    }
  }
}
