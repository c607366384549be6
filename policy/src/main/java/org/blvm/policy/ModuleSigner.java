package org.blvm.policy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Signs a module directory: hashes the binary, writes (or checks) the manifest's {@code [binary]}
 * pin, then signs the manifest bytes with the trusted comment {@code blvm-module/1 name=<name>
 * version=<version>} into {@code module.toml.minisig} or {@code module.toml.<signer>.minisig}.
 */
public final class ModuleSigner {
  private static final Pattern LABEL = Pattern.compile("[A-Za-z0-9_-]{1,64}");

  private ModuleSigner() {}

  /**
   * What signing did.
   *
   * @param manifestChanged whether the manifest was rewritten (the pin was new or different)
   * @param staleSignatures other signature files in the directory that no longer verify because the
   *     manifest changed (co-signers must sign again)
   */
  public record Result(
      ModuleManifest manifest,
      Path signatureFile,
      MinisignSignature signature,
      boolean manifestChanged,
      List<Path> staleSignatures) {
    public Result {
      staleSignatures = List.copyOf(staleSignatures);
    }
  }

  /** The signature file for {@code signer} (null: minisign's default name). */
  public static Path signatureFile(Path moduleDir, String signer) {
    if (signer == null) {
      return moduleDir.resolve("module.toml.minisig");
    }
    if (!LABEL.matcher(signer).matches()) {
      throw new IllegalArgumentException(
          "signer label must match " + LABEL.pattern() + ", found \"" + signer + "\"");
    }
    return moduleDir.resolve("module.toml." + signer + ".minisig");
  }

  /**
   * Signs the module in {@code moduleDir}.
   *
   * @param signer label for the signature file name, or null for {@code module.toml.minisig}
   * @param updatePin when false the manifest is never modified: its pin must already match
   */
  public static Result sign(Path moduleDir, MinisignSecretKey key, String signer, boolean updatePin)
      throws AdmissionException, IOException {
    Path file = moduleDir.resolve("module.toml");
    Path sigFile = signatureFile(moduleDir, signer);
    byte[] bytes = readBounded(file);
    ModuleManifest m = ModuleManifest.parse(file, bytes);
    Path entry = moduleDir.resolve(m.entry());
    if (!Files.isRegularFile(entry, LinkOption.NOFOLLOW_LINKS)) {
      throw new BinaryException(entry, "entry is not a regular file (symlinks are refused)");
    }
    ContentStore.Hashed h = ContentStore.hash(entry, ModuleManifest.MAX_BINARY_SIZE + 1);
    if (h.size() > ModuleManifest.MAX_BINARY_SIZE) {
      throw new BinaryException(entry, "larger than " + ModuleManifest.MAX_BINARY_SIZE + " bytes");
    }
    BinaryPin pin = new BinaryPin(h.sha256(), h.size());
    boolean changed = false;
    if (!pin.equals(m.binary())) {
      if (!updatePin) {
        if (m.binary() == null) {
          throw new ManifestException(
              file, "binary", "missing, and the manifest may not be changed");
        }
        ContentStore.checkPin(entry, m.binary(), h);
      }
      String edited =
          ManifestEditor.withPin(file, new String(bytes, StandardCharsets.UTF_8), m, pin);
      bytes = edited.getBytes(StandardCharsets.UTF_8);
      m = ModuleManifest.parse(file, bytes);
      StateFiles.writeAtomically(
          file,
          bytes,
          Files.exists(file) ? Files.getPosixFilePermissions(file) : StateFiles.FILE_0600);
      changed = true;
    }
    MinisignSignature sig =
        key.sign(
            bytes,
            Admission.trustedComment(m.name(), m.version()),
            "blvm module " + m.name() + " " + m.version() + " signed by key " + key.keyId(),
            true);
    StateFiles.writeAtomically(
        sigFile,
        sig.encoded().getBytes(StandardCharsets.UTF_8),
        PosixFilePermissions.fromString("rw-r--r--"));
    List<Path> stale = new ArrayList<>();
    if (changed) {
      for (Path other : Admission.signatureFiles(moduleDir)) {
        if (!other.getFileName().equals(sigFile.getFileName())) {
          stale.add(other);
        }
      }
    }
    return new Result(m, sigFile, sig, changed, stale);
  }

  static byte[] readBounded(Path file) throws AdmissionException {
    try {
      if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
        throw new ManifestException(file, null, "not a regular file (symlinks are refused)");
      }
      try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
        byte[] b = in.readNBytes(ModuleManifest.MAX_BYTES + 1);
        if (b.length > ModuleManifest.MAX_BYTES) {
          throw new ManifestTooLargeException(file, ModuleManifest.MAX_BYTES, Files.size(file));
        }
        return b;
      }
    } catch (IOException e) {
      throw new ManifestException(file, null, "cannot read: " + e.getMessage(), e);
    }
  }
}
