package org.blvm.policy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The first steps of admission, before anything in a manifest is believed: read {@code module.toml}
 * with a size bound, verify every signature file over those exact bytes and count the distinct
 * trusted keys against the threshold; after parsing, bind every counted signature's trusted comment
 * to the manifest's name and version. Stateless.
 */
final class ManifestSignatures {
  static final Pattern SIGNATURE_FILE =
      Pattern.compile("module\\.toml(?:\\.([A-Za-z0-9_-]{1,64}))?\\.minisig");

  private ManifestSignatures() {}

  /** A signature that counts: by a trusted, unrevoked key, valid now, verified. */
  record Counted(Path file, MinisignSignature signature, TrustedKey key) {}

  /** The manifest's bytes and the signatures counted over them (the bytes are not copied). */
  static final class Verified {
    final Path manifestFile;
    final byte[] manifestBytes;
    final List<Counted> counted;
    final Set<KeyId> signers;
    final boolean unsigned;

    private Verified(
        Path manifestFile,
        byte[] manifestBytes,
        List<Counted> counted,
        Set<KeyId> signers,
        boolean unsigned) {
      this.manifestFile = manifestFile;
      this.manifestBytes = manifestBytes;
      this.counted = List.copyOf(counted);
      this.signers = signers;
      this.unsigned = unsigned;
    }
  }

  /**
   * Reads the manifest of module directory {@code dir} (named {@code module}) and verifies its
   * signatures under {@code policy} at {@code now}.
   *
   * @throws UnsignedModuleException no signature file, and the policy does not allow that
   * @throws ThresholdNotMetException fewer distinct counted keys than the threshold (a single
   *     reason is thrown as itself)
   */
  static Verified verify(
      Path dir, String module, Policy policy, ModulePolicy mp, Instant now, int maxManifestBytes)
      throws AdmissionException {
    Path manifestFile = dir.resolve("module.toml");
    byte[] manifestBytes = readManifest(manifestFile, maxManifestBytes);
    List<Path> sigFiles = signatureFiles(dir);
    List<Counted> counted = new ArrayList<>();
    List<AdmissionException> notCounted = new ArrayList<>();
    for (Path f : sigFiles) {
      MinisignSignature sig = MinisignSignature.parse(f, readSignature(f));
      KeyId id = sig.keyId();
      TrustedKey key = policy.trustedKey(id).orElse(null);
      if (policy.isRevoked(id)) {
        notCounted.add(new RevokedKeyException(module, f, id));
        continue;
      }
      if (key == null) {
        notCounted.add(new UntrustedKeyException(module, f, id));
        continue;
      }
      sig.verify(key.key(), manifestBytes, f, module);
      if (!key.validAt(now)) {
        notCounted.add(
            new KeyExpiredException(module, f, id, key.notBefore(), key.notAfter(), now));
        continue;
      }
      if (!sig.trustedComment().startsWith(Admission.COMMENT_PREFIX)) {
        throw new TrustedCommentMismatchException(
            f, expectedComment(manifestFile, manifestBytes, module), sig.trustedComment());
      }
      counted.add(new Counted(f, sig, key));
    }
    Set<KeyId> signers = new LinkedHashSet<>();
    for (Counted c : counted) {
      signers.add(c.key().keyId());
    }
    boolean unsigned = sigFiles.isEmpty();
    if (unsigned && !mp.allowUnsigned()) {
      throw new UnsignedModuleException(module, dir);
    }
    if (!unsigned && signers.size() < mp.threshold()) {
      if (signers.isEmpty() && notCounted.size() == 1) {
        throw notCounted.get(0);
      }
      List<String> reasons = new ArrayList<>();
      for (AdmissionException e : notCounted) {
        reasons.add(e.getMessage());
      }
      if (counted.size() > signers.size()) {
        reasons.add(
            (counted.size() - signers.size())
                + " more signature file(s) by a key already counted (each key counts once)");
      }
      throw new ThresholdNotMetException(module, mp.threshold(), signers.size(), reasons);
    }
    return new Verified(manifestFile, manifestBytes, counted, signers, unsigned);
  }

  /**
   * Every counted signature's trusted comment must name exactly this manifest's name and version.
   */
  static void bindComments(Verified v, ModuleManifest manifest)
      throws TrustedCommentMismatchException {
    String expected = Admission.trustedComment(manifest.name(), manifest.version());
    for (Counted c : v.counted) {
      if (!c.signature().trustedComment().equals(expected)) {
        throw new TrustedCommentMismatchException(
            c.file(), expected, c.signature().trustedComment());
      }
    }
  }

  /**
   * The comment a signature over these manifest bytes must carry, to name it when refusing one that
   * lacks the prefix. The refusal does not depend on it: the bytes (which a trusted key signed) are
   * parsed only for the name and version, and when they do not parse the directory name stands in
   * and the version stays a placeholder.
   */
  private static String expectedComment(Path manifestFile, byte[] manifestBytes, String module) {
    try {
      ModuleManifest m = ModuleManifest.parse(manifestFile, manifestBytes);
      return Admission.trustedComment(m.name(), m.version());
    } catch (ManifestException e) {
      return Admission.trustedComment(module, "<version>");
    }
  }

  private static byte[] readManifest(Path file, int maxManifestBytes) throws AdmissionException {
    try {
      if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
        throw new ManifestException(file, null, "not a regular file (symlinks are refused)");
      }
      try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
        byte[] bytes = in.readNBytes(maxManifestBytes + 1);
        if (bytes.length > maxManifestBytes) {
          long size;
          try {
            size = Files.size(file);
          } catch (IOException e) {
            size = bytes.length;
          }
          throw new ManifestTooLargeException(file, maxManifestBytes, size);
        }
        return bytes;
      }
    } catch (IOException e) {
      throw new ManifestException(file, null, "cannot read: " + e.getMessage(), e);
    }
  }

  private static byte[] readSignature(Path f) throws MalformedSignatureException {
    try {
      if (!Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)) {
        throw new MalformedSignatureException(f, "not a regular file (symlinks are refused)");
      }
      try (InputStream in = Files.newInputStream(f, LinkOption.NOFOLLOW_LINKS)) {
        return in.readNBytes(MinisignSignature.MAX_FILE_BYTES + 1);
      }
    } catch (IOException e) {
      throw new MalformedSignatureException(f, "cannot read: " + e.getMessage());
    }
  }

  /**
   * The signature files in {@code dir}, sorted by name, at most {@link Admission#MAX_SIGNATURES}.
   */
  static List<Path> signatureFiles(Path dir) throws AdmissionException {
    List<Path> out = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "module.toml*.minisig")) {
      for (Path p : ds) {
        if (SIGNATURE_FILE.matcher(p.getFileName().toString()).matches()) {
          out.add(p);
        }
      }
    } catch (IOException e) {
      throw new ManifestException(dir, null, "cannot list the module directory: " + e, e);
    }
    if (out.size() > Admission.MAX_SIGNATURES) {
      throw new MalformedSignatureException(
          dir, out.size() + " signature files, at most " + Admission.MAX_SIGNATURES + " are read");
    }
    out.sort(null);
    return out;
  }
}
