package org.blvm.policy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Installs one module version from a verified index into the modules directory, all or nothing:
 *
 * <ol>
 *   <li>refuse when a directory of the module's name exists (replacing a module is {@code
 *       blvm-loader modules upgrade}'s);
 *   <li>resolve the entry's path below the index's directory (or mirror), through directories only,
 *       never a symbolic link;
 *   <li>copy the module, reading each file once and hashing the bytes it writes, into a private
 *       staging directory below the loader's state directory ({@code STATE/install/}, 0700, on the
 *       modules directory's filesystem), every file fsynced;
 *   <li>check the copy's digest against the entry's, then run admission's checks on the copy
 *       (signatures, threshold, version ratchet, capabilities, files: {@link Admission#check}) and
 *       that its manifest is the entry's name and version;
 *   <li>give the copy its modes (directories 0755, files 0644), fsync it, and rename it into the
 *       modules directory in one step that never replaces anything there ({@link NoReplaceRename});
 *       fsync the modules directory.
 * </ol>
 *
 * An install stopped at any point leaves the modules directory as it was: until the rename the
 * module exists only in the staging directory, which is removed on failure, on SIGTERM/SIGINT, and
 * (after SIGKILL or a crash) by the next install, which holds {@code STATE/install.lock} while it
 * runs.
 */
public final class ModuleInstaller {
  private ModuleInstaller() {}

  /**
   * An installed module.
   *
   * @param directory its new directory in the modules directory
   * @param admitted what admission found in the copy (the paths in it name the staging copy)
   */
  public record Installed(ModuleIndex.Entry entry, Path directory, AdmittedModule admitted) {}

  /**
   * The entry for {@code name}: {@code version}, or the highest version the index lists.
   *
   * @throws IndexException rule NOT_FOUND, naming the versions the index does list
   */
  public static ModuleIndex.Entry find(IndexVerifier.Verified v, String name, String version)
      throws IndexException {
    ModuleIndex.Entry best = null;
    List<String> versions = new ArrayList<>();
    for (ModuleIndex.Entry e : v.index().entries()) {
      if (!e.name().equals(name)) {
        continue;
      }
      versions.add(e.version().toString());
      if (version == null
          ? best == null || e.version().compareTo(best.version()) > 0
          : e.version().toString().equals(version)) {
        best = e;
      }
    }
    if (best == null) {
      throw new IndexException(
          v.file(),
          name,
          version,
          IndexException.Rule.NOT_FOUND,
          versions.isEmpty()
              ? "index "
                  + v.index().name()
                  + " version "
                  + v.index().version()
                  + " lists no such module"
              : "the index lists only " + String.join(", ", versions));
    }
    return best;
  }

  /**
   * Installs {@code e} from {@code root} (the index's directory or a mirror) into {@code
   * modulesDir}.
   *
   * @param stateDir the loader's state directory (staging lives there): {@code admission}'s own
   * @throws IndexException naming the module, its version and the rule that refused
   */
  public static Installed install(
      IndexVerifier.Verified v,
      ModuleIndex.Entry e,
      Path root,
      Path modulesDir,
      Path stateDir,
      Admission admission)
      throws IndexException {
    return install(v, e, root, modulesDir, stateDir, admission, () -> {});
  }

  /** {@link #install}, running {@code beforeRename} just before the final rename (tests only). */
  static Installed install(
      IndexVerifier.Verified v,
      ModuleIndex.Entry e,
      Path root,
      Path modulesDir,
      Path stateDir,
      Admission admission,
      Runnable beforeRename)
      throws IndexException {
    Ctx c = new Ctx(v.file(), e);
    Path target = modulesDir.resolve(e.name());
    if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
      throw c.fail(
          IndexException.Rule.EXISTS,
          target
              + " exists; install never replaces a module: use blvm-loader modules upgrade "
              + e.name());
    }
    Path source = resolve(c, root, e.path());
    try {
      Object modulesDev = Files.getAttribute(modulesDir, "unix:dev");
      Object stateDev = Files.getAttribute(stateDir, "unix:dev");
      if (!modulesDev.equals(stateDev)) {
        throw c.fail(
            IndexException.Rule.INSTALL,
            "the modules directory "
                + modulesDir
                + " and the state directory "
                + stateDir
                + " are on different filesystems: an install stages in the state directory and"
                + " renames into the modules directory, which needs one filesystem");
      }
    } catch (IOException x) {
      throw c.fail(IndexException.Rule.INSTALL, "cannot read " + x.getMessage(), x);
    }
    Path stagingRoot = stateDir.resolve("install");
    try (FileChannel lockCh =
            FileChannel.open(
                stateDir.resolve("install.lock"),
                Set.of(
                    StandardOpenOption.CREATE, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS),
                PosixFilePermissions.asFileAttribute(StateFiles.FILE_0600));
        FileLock lock = lockCh.lock()) {
      StateFiles.privateDir(stagingRoot);
      InstallStaging.removeLeftovers(stagingRoot);
      Path staging =
          Files.createTempDirectory(
              stagingRoot, "tmp-", PosixFilePermissions.asFileAttribute(StateFiles.DIR_0700));
      // SIGTERM/SIGINT: the copy may still be writing into the staging directory; once that is
      // gone nothing can be created below it, so a few attempts remove it
      Thread cleanup =
          new Thread(
              () -> {
                for (int i = 0; i < 16 && Files.exists(staging, LinkOption.NOFOLLOW_LINKS); i++) {
                  InstallStaging.deleteQuietly(staging);
                }
              },
              "blvm-policy-install-cleanup");
      Runtime.getRuntime().addShutdownHook(cleanup);
      try {
        return stageAndRename(c, v, source, staging, target, admission, beforeRename);
      } finally {
        InstallStaging.deleteQuietly(staging);
        try {
          Runtime.getRuntime().removeShutdownHook(cleanup);
        } catch (IllegalStateException shuttingDown) {
          // the hook runs (or ran) anyway
        }
      }
    } catch (IOException x) {
      throw c.fail(IndexException.Rule.INSTALL, "cannot stage the module: " + x, x);
    }
  }

  private static Installed stageAndRename(
      Ctx c,
      IndexVerifier.Verified v,
      Path source,
      Path staging,
      Path target,
      Admission admission,
      Runnable beforeRename)
      throws IndexException, IOException {
    Path copy = staging.resolve(c.entry.name());
    Files.createDirectory(copy, PosixFilePermissions.asFileAttribute(StateFiles.DIR_0700));
    SortedMap<String, Sha256> digests = new TreeMap<>(copyManifestFiles(c, source, copy));
    ModuleFiles files;
    try {
      files = FileTreeReader.read(source, null, true, copy, FileTreeReader.Observer.NONE);
    } catch (FileTreeException x) {
      throw c.fail(
          x.problem() == FileTreeException.Problem.SYMLINK
              ? IndexException.Rule.PATH
              : IndexException.Rule.INSTALL,
          x.getMessage(),
          x);
    } catch (AdmissionException x) {
      throw c.fail(IndexException.Rule.INSTALL, x.getMessage(), x);
    }
    for (Map.Entry<String, BinaryPin> p : files.pins().entrySet()) {
      digests.put(p.getKey(), p.getValue().sha256());
    }
    Sha256 found = IndexDigest.of(digests);
    if (!found.equals(c.entry.sha256())) {
      throw c.fail(
          IndexException.Rule.DIGEST,
          source
              + ": the files' digest is "
              + found
              + ", the index pins "
              + c.entry.sha256()
              + " ("
              + digests.size()
              + " files)");
    }
    AdmittedModule admitted;
    try {
      admitted = admission.check(copy);
    } catch (AdmissionException x) {
      throw c.fail(
          IndexException.Rule.ADMISSION, x.getClass().getSimpleName() + ": " + x.getMessage(), x);
    }
    String version = admitted.manifest().version();
    if (!admitted.manifest().semVer().equals(c.entry.version())) {
      throw c.fail(
          IndexException.Rule.ENTRY_MISMATCH,
          "its manifest says version " + version + ", the index entry " + c.entry.version());
    }
    InstallStaging.finish(copy);
    if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
      throw c.fail(
          IndexException.Rule.EXISTS,
          target
              + " appeared while the module was copied; install never replaces a module: use"
              + " blvm-loader modules upgrade "
              + c.entry.name());
    }
    beforeRename.run();
    try {
      NoReplaceRename.move(copy, target);
    } catch (FileAlreadyExistsException x) {
      throw c.fail(
          IndexException.Rule.EXISTS,
          target
              + " appeared while the module was installed and was left as it is; install never"
              + " replaces a module: use blvm-loader modules upgrade "
              + c.entry.name());
    }
    StateFiles.fsyncDir(target.getParent());
    return new Installed(c.entry, target, admitted);
  }

  /** {@code module.toml} and its signature files, copied and hashed from one read each. */
  private static Map<String, Sha256> copyManifestFiles(Ctx c, Path source, Path copy)
      throws IndexException, IOException {
    Map<String, Sha256> out = new TreeMap<>();
    List<Path> names = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(source)) {
      for (Path p : ds) {
        String n = p.getFileName().toString();
        if (ModuleFiles.excluded(n)) {
          names.add(p);
        }
        if (names.size() > Admission.MAX_SIGNATURES + 1) {
          throw c.fail(
              IndexException.Rule.INSTALL,
              source + ": more than " + Admission.MAX_SIGNATURES + " signature files");
        }
      }
    }
    for (Path p : names) {
      String n = p.getFileName().toString();
      if (!Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
        throw c.fail(
            IndexException.Rule.PATH, p + ": not a regular file (symbolic links are refused)");
      }
      int max =
          n.equals("module.toml") ? ModuleManifest.MAX_BYTES : MinisignSignature.MAX_FILE_BYTES;
      byte[] bytes;
      try (InputStream in = Files.newInputStream(p, LinkOption.NOFOLLOW_LINKS)) {
        bytes = in.readNBytes(max + 1);
      }
      if (bytes.length > max) {
        throw c.fail(IndexException.Rule.INSTALL, p + ": larger than " + max + " bytes");
      }
      try (FileChannel ch =
          FileChannel.open(
              copy.resolve(n),
              Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
              PosixFilePermissions.asFileAttribute(StateFiles.FILE_0600))) {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        while (b.hasRemaining()) {
          ch.write(b);
        }
        ch.force(true);
      }
      out.put(n, Sha256.digest(bytes));
    }
    return out;
  }

  /**
   * The entry's directory below {@code root}: every component an existing directory, none a
   * symbolic link (the path itself was checked when the index was parsed).
   */
  static Path resolve(Ctx c, Path root, String path) throws IndexException {
    Path at = root.toAbsolutePath().normalize();
    if (!Files.isDirectory(at)) {
      throw c.fail(IndexException.Rule.PATH, at + ": not a directory");
    }
    for (String seg : path.split("/")) {
      at = at.resolve(seg);
      if (Files.isSymbolicLink(at)) {
        throw c.fail(
            IndexException.Rule.PATH,
            "path \""
                + path
                + "\": "
                + at
                + " is a symbolic link; an entry's path is followed"
                + " through directories only");
      }
      if (!Files.isDirectory(at, LinkOption.NOFOLLOW_LINKS)) {
        throw c.fail(
            IndexException.Rule.PATH,
            "path \""
                + path
                + "\": "
                + at
                + (Files.exists(at, LinkOption.NOFOLLOW_LINKS)
                    ? " is not a directory"
                    : " does not exist"));
      }
    }
    return at;
  }

  /** The index and entry a refusal names. */
  private record Ctx(Path index, ModuleIndex.Entry entry) {
    IndexException fail(IndexException.Rule rule, String detail) {
      return fail(rule, detail, null);
    }

    IndexException fail(IndexException.Rule rule, String detail, Throwable cause) {
      return new IndexException(
          index, entry.name(), entry.version().toString(), rule, detail, cause);
    }
  }
}
