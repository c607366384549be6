package org.blvm.policy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Verifies a module index as admission verifies a manifest: read it once (bounded, no symbolic
 * link), check every signature file beside it over those exact bytes against the policy's index
 * keys ({@link IndexTrust}), count distinct keys against the index threshold, only then parse, bind
 * every counted signature to the index's name, version and expiry through its trusted comment, and
 * refuse an index past its expiry. Rollback protection is {@link IndexRecord}'s.
 *
 * <p>Signature files are {@code <index file>.minisig} (minisign's default name) and {@code <index
 * file>.<signer>.minisig}, at most {@link Admission#MAX_SIGNATURES}.
 */
public final class IndexVerifier {
  /** The file an index directory holds its index in. */
  public static final String FILE_NAME = "index.toml";

  private static final Pattern SIGNER = Pattern.compile("[A-Za-z0-9_-]{1,64}");

  private IndexVerifier() {}

  /**
   * A verified index.
   *
   * @param file the index file
   * @param sha256 the SHA-256 of its bytes (what {@link IndexRecord} records)
   * @param signers the distinct trusted keys whose signatures counted
   */
  public record Verified(ModuleIndex index, Path file, Sha256 sha256, Set<KeyId> signers) {
    public Verified {
      signers = Set.copyOf(signers);
    }
  }

  /** {@code path} itself when it is a file, else {@code path/index.toml}. */
  public static Path indexFile(Path path) {
    return Files.isDirectory(path) ? path.resolve(FILE_NAME) : path;
  }

  /** The signature file of {@code indexFile} for {@code signer} (null: minisign's default). */
  public static Path signatureFile(Path indexFile, String signer) {
    if (signer != null && !SIGNER.matcher(signer).matches()) {
      throw new IllegalArgumentException(
          "signer label must match " + SIGNER.pattern() + ", found \"" + signer + "\"");
    }
    String f = indexFile.getFileName().toString();
    return indexFile.resolveSibling(
        signer == null ? f + ".minisig" : f + "." + signer + ".minisig");
  }

  /**
   * Verifies the index in {@code file} at {@code clock}'s now.
   *
   * @throws IndexException naming the rule: unsigned, malformed signature, too few trusted keys, an
   *     invalid signature, a trusted comment that is not this index's, malformed TOML, expired
   * @throws IOException when the file cannot be read ({@link NoSuchFileException} when missing)
   */
  public static Verified verify(Path file, IndexTrust trust, Clock clock)
      throws IndexException, IOException {
    byte[] bytes = read(file, ModuleIndex.MAX_BYTES, file);
    if (bytes.length > ModuleIndex.MAX_BYTES) {
      throw new IndexException(
          file,
          null,
          null,
          IndexException.Rule.TOO_LARGE,
          "larger than the maximum of " + ModuleIndex.MAX_BYTES + " bytes");
    }
    List<Path> sigFiles = signatureFiles(file);
    if (sigFiles.isEmpty()) {
      throw new IndexException(
          file,
          null,
          null,
          IndexException.Rule.UNSIGNED,
          "no signature file " + signatureFile(file, null).getFileName() + " beside it");
    }
    Instant now = clock.instant();
    Set<KeyId> signers = new LinkedHashSet<>();
    List<MinisignSignature> counted = new ArrayList<>();
    List<String> notCounted = new ArrayList<>();
    for (Path f : sigFiles) {
      MinisignSignature sig;
      try {
        sig = MinisignSignature.parse(f, read(f, MinisignSignature.MAX_FILE_BYTES, file));
      } catch (MalformedSignatureException e) {
        throw new IndexException(
            file, null, null, IndexException.Rule.MALFORMED_SIGNATURE, e.getMessage(), e);
      }
      KeyId id = sig.keyId();
      TrustedKey key = trust.key(id).orElse(null);
      if (trust.revoked().contains(id)) {
        notCounted.add(f.getFileName() + ": key " + id + " is revoked by the policy");
        continue;
      }
      if (key == null) {
        notCounted.add(f.getFileName() + ": key " + id + " is not trusted for indexes");
        continue;
      }
      if (sig.verify(key.key(), bytes) != MinisignSignature.Check.OK) {
        throw new IndexException(
            file,
            null,
            null,
            IndexException.Rule.SIGNATURE_INVALID,
            f.getFileName() + ": the signature by trusted index key " + id + " does not verify");
      }
      if (!key.validAt(now)) {
        notCounted.add(
            f.getFileName()
                + ": key "
                + id
                + " is valid "
                + (key.notBefore() == null ? "" : "from " + key.notBefore() + " ")
                + (key.notAfter() == null ? "" : "until " + key.notAfter() + " ")
                + "and it is "
                + now);
        continue;
      }
      if (signers.add(id)) {
        counted.add(sig);
      }
    }
    if (signers.size() < trust.threshold()) {
      throw new IndexException(
          file,
          null,
          null,
          IndexException.Rule.UNTRUSTED,
          trust.threshold()
              + " trusted index key(s) needed, "
              + signers.size()
              + " counted"
              + (notCounted.isEmpty() ? "" : "; " + String.join("; ", notCounted)));
    }
    ModuleIndex index = ModuleIndex.parse(file, bytes);
    for (MinisignSignature s : counted) {
      if (!s.trustedComment().equals(index.trustedComment())) {
        throw new IndexException(
            file,
            null,
            null,
            IndexException.Rule.COMMENT_MISMATCH,
            "expected \"" + index.trustedComment() + "\", found \"" + s.trustedComment() + "\"");
      }
    }
    if (!now.isBefore(index.expires())) {
      throw new IndexException(
          file,
          null,
          null,
          IndexException.Rule.EXPIRED,
          "index "
              + index.name()
              + " version "
              + index.version()
              + " expired at "
              + index.expires()
              + "; it is "
              + now);
    }
    return new Verified(index, file, Sha256.digest(bytes), signers);
  }

  /** The signature files beside {@code file}, sorted by name. */
  static List<Path> signatureFiles(Path file) throws IndexException, IOException {
    String base = file.getFileName().toString();
    Pattern p = Pattern.compile(Pattern.quote(base) + "(?:\\.([A-Za-z0-9_-]{1,64}))?\\.minisig");
    List<Path> out = new ArrayList<>();
    Path dir = file.toAbsolutePath().getParent();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
      for (Path f : ds) {
        if (p.matcher(f.getFileName().toString()).matches()) {
          out.add(f);
        }
      }
    }
    if (out.size() > Admission.MAX_SIGNATURES) {
      throw new IndexException(
          file,
          null,
          null,
          IndexException.Rule.MALFORMED_SIGNATURE,
          out.size() + " signature files, at most " + Admission.MAX_SIGNATURES + " are read");
    }
    out.sort(null);
    return out;
  }

  /** At most {@code max + 1} bytes of a regular file, not through a symbolic link. */
  private static byte[] read(Path f, int max, Path index) throws IndexException, IOException {
    if (!Files.exists(f, LinkOption.NOFOLLOW_LINKS)) {
      throw new NoSuchFileException(f.toString());
    }
    if (!Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)) {
      throw new IndexException(
          index,
          null,
          null,
          f.equals(index) ? IndexException.Rule.MALFORMED : IndexException.Rule.MALFORMED_SIGNATURE,
          f + ": not a regular file (symbolic links are refused)");
    }
    try (InputStream in = Files.newInputStream(f, LinkOption.NOFOLLOW_LINKS)) {
      return in.readNBytes(max + 1);
    }
  }
}
