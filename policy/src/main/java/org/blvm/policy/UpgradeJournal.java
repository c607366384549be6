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
 *   <li>{@code interrupted}: written durably before an upgrade stops the running version ({@link
 *       #begin}), naming the manifest of the version that ran; removed when the upgrade ended
 *       either way ({@link #end}).
 * </ul>
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
  private static final String MANIFEST = "module.toml";

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
    Files.deleteIfExists(dir.resolve(INTERRUPTED));
    Path manifests = dir.resolve("manifests");
    if (!Files.isDirectory(manifests, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    String keepName = running == null ? "" : running.manifestSha256().hex();
    List<Path> stale = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(manifests)) {
      for (Path p : ds) {
        if (!p.getFileName().toString().equals(keepName)) {
          stale.add(p);
        }
      }
    }
    for (Path p : stale) {
      removeTree(p);
    }
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
    byte[] mark = readBounded(dir.resolve(INTERRUPTED), 128);
    if (mark == null) {
      return Optional.empty();
    }
    String sha = new String(mark, StandardCharsets.US_ASCII).trim();
    if (!sha.matches("[0-9a-f]{64}")) {
      throw new IOException(dir.resolve(INTERRUPTED) + " is corrupt");
    }
    Path kept = dir.resolve("manifests").resolve(sha);
    byte[] manifestBytes = readBounded(kept.resolve(MANIFEST), ModuleManifest.MAX_BYTES);
    if (manifestBytes == null) {
      throw new IOException("the manifest of the version that ran before is not kept in " + kept);
    }
    ModuleManifest manifest;
    try {
      manifest = ModuleManifest.parse(kept.resolve(MANIFEST), manifestBytes);
    } catch (ManifestException e) {
      throw new IOException(e.getMessage(), e);
    }
    ModuleFiles files = manifest.tree();
    if (files == null) {
      throw new IOException(kept.resolve(MANIFEST) + " pins no files");
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
    return Optional.of(target);
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
