package org.blvm.policy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Makes a module index from a directory of signed module directories ({@code blvm-sign index}): one
 * entry per subdirectory holding a {@code module.toml}, with the manifest's name, version and
 * description, the subdirectory as its path and the digest of its files ({@link IndexDigest}).
 * Every module must carry a signature file and its files must match its manifest's pins; whether
 * its signers are trusted is the installing node's policy's question.
 */
public final class IndexBuilder {
  private IndexBuilder() {}

  /**
   * A written, signed index.
   *
   * @param skipped subdirectories without a {@code module.toml}, by name
   */
  public record Result(
      ModuleIndex index,
      Path file,
      Path signatureFile,
      MinisignSignature signature,
      List<String> skipped) {}

  /**
   * Builds the index of {@code dir}, writes it to {@code dir/index.toml} and signs it.
   *
   * @throws IndexException when a module cannot be listed (not signed, files not as pinned, two
   *     directories with one name and version), or the index in {@code dir} already has this
   *     version or a higher one
   */
  public static Result write(
      Path dir, String name, long version, Instant expires, MinisignSecretKey key, String signer)
      throws IndexException, IOException {
    Path file = dir.resolve(IndexVerifier.FILE_NAME);
    if (!ModuleIndex.NAME.matcher(name).matches()) {
      throw new IllegalArgumentException(
          "index name must match " + ModuleIndex.NAME.pattern() + ", found \"" + name + "\"");
    }
    if (version < 1) {
      throw new IllegalArgumentException("index version must be at least 1, found " + version);
    }
    Path sigFile = IndexVerifier.signatureFile(file, signer);
    if (Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
      byte[] old;
      try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
        old = in.readNBytes(ModuleIndex.MAX_BYTES + 1);
      }
      ModuleIndex previous = ModuleIndex.parse(file, old);
      if (previous.version() >= version) {
        throw new IndexException(
            file,
            null,
            null,
            IndexException.Rule.ROLLBACK,
            "the index there has version "
                + previous.version()
                + "; a new one needs a higher version than that, found "
                + version);
      }
    }
    List<ModuleIndex.Entry> entries = new ArrayList<>();
    List<String> skipped = new ArrayList<>();
    List<Path> subdirs = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
      for (Path p : ds) {
        if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
          subdirs.add(p);
        }
      }
    }
    subdirs.sort(null);
    for (Path sub : subdirs) {
      if (!Files.exists(sub.resolve("module.toml"), LinkOption.NOFOLLOW_LINKS)) {
        skipped.add(sub.getFileName().toString());
        continue;
      }
      entries.add(entry(file, sub));
      if (entries.size() > ModuleIndex.MAX_ENTRIES) {
        throw new IndexException(
            file,
            null,
            null,
            IndexException.Rule.TOO_LARGE,
            "more than " + ModuleIndex.MAX_ENTRIES + " modules");
      }
    }
    ModuleIndex index = new ModuleIndex(name, version, expires, entries);
    byte[] bytes = index.toToml().getBytes(StandardCharsets.UTF_8);
    ModuleIndex.parse(file, bytes); // what is signed must read back: duplicates, bounds
    MinisignSignature sig =
        key.sign(
            bytes,
            index.trustedComment(),
            "blvm module index " + name + " " + version + " signed by key " + key.keyId(),
            true);
    StateFiles.writeAtomically(file, bytes, PosixFilePermissions.fromString("rw-r--r--"));
    StateFiles.writeAtomically(
        sigFile,
        sig.encoded().getBytes(StandardCharsets.UTF_8),
        PosixFilePermissions.fromString("rw-r--r--"));
    return new Result(index, file, sigFile, sig, skipped);
  }

  /** The entry for the signed module in {@code sub}. */
  private static ModuleIndex.Entry entry(Path index, Path sub) throws IndexException, IOException {
    String path = sub.getFileName().toString();
    ModuleManifest m;
    byte[] manifest;
    List<Path> sigs;
    ModuleFiles files;
    try {
      manifest = ModuleSigner.readBounded(sub.resolve("module.toml"));
      m = ModuleManifest.parse(sub.resolve("module.toml"), manifest);
      sigs = Admission.signatureFiles(sub);
      if (sigs.isEmpty() || m.tree() == null) {
        throw new IndexException(
            index,
            m.name(),
            m.version(),
            IndexException.Rule.UNSIGNED,
            sub + ": not signed (blvm-sign sign pins its files and signs it)");
      }
      files = FileTreeReader.read(sub, m.tree(), true, null, FileTreeReader.Observer.NONE);
    } catch (AdmissionException e) {
      throw new IndexException(index, path, null, IndexException.Rule.ADMISSION, e.getMessage(), e);
    }
    SortedMap<String, Sha256> digests = new TreeMap<>();
    digests.put("module.toml", Sha256.digest(manifest));
    for (Path s : sigs) {
      if (!Files.isRegularFile(s, LinkOption.NOFOLLOW_LINKS)) {
        throw new IndexException(
            index, m.name(), m.version(), IndexException.Rule.PATH, s + ": not a regular file");
      }
      try (InputStream in = Files.newInputStream(s, LinkOption.NOFOLLOW_LINKS)) {
        digests.put(
            s.getFileName().toString(),
            Sha256.digest(in.readNBytes(MinisignSignature.MAX_FILE_BYTES + 1)));
      }
    }
    for (Map.Entry<String, BinaryPin> p : files.pins().entrySet()) {
      digests.put(p.getKey(), p.getValue().sha256());
    }
    String description = m.description() == null ? "" : m.description();
    if (description.length() > ModuleIndex.MAX_DESCRIPTION) {
      description = description.substring(0, ModuleIndex.MAX_DESCRIPTION);
    }
    return new ModuleIndex.Entry(
        m.name(),
        m.semVer(),
        path,
        IndexDigest.of(digests),
        description.replaceAll("\\p{Cntrl}", " "));
  }
}
