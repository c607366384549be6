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
 * Signs a module directory: reads every file of it (the manifest and signature files aside), writes
 * (or checks) the manifest's {@code [files]} pins, then signs the manifest bytes with the trusted
 * comment {@code blvm-module/1 name=<name> version=<version>} into {@code module.toml.minisig} or
 * {@code module.toml.<signer>.minisig}.
 */
public final class ModuleSigner {
  private static final Pattern LABEL = Pattern.compile("[A-Za-z0-9_-]{1,64}");

  private ModuleSigner() {}

  /**
   * What signing did.
   *
   * @param manifestChanged whether the manifest was rewritten (its pins were new or different)
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
   * @param updatePins when false the manifest is never modified: its pins must already match the
   *     directory (an older manifest pinning only its binary is checked for that file alone)
   * @throws FileTreeException when a file of the directory cannot be part of a module (a symbolic
   *     link, a device, a name not allowed, too many) or, without {@code updatePins}, differs from
   *     its pin
   */
  public static Result sign(
      Path moduleDir, MinisignSecretKey key, String signer, boolean updatePins)
      throws AdmissionException, IOException {
    Path file = moduleDir.resolve("module.toml");
    Path sigFile = signatureFile(moduleDir, signer);
    byte[] bytes = readBounded(file);
    ModuleManifest m = ModuleManifest.parse(file, bytes);
    boolean changed = false;
    if (!updatePins) {
      ModuleFiles pinned = m.tree();
      if (pinned == null) {
        throw new ManifestException(file, "files", "missing, and the manifest may not be changed");
      }
      FileTreeReader.read(moduleDir, pinned, m.files() != null, null, FileTreeReader.Observer.NONE);
    } else {
      ModuleFiles found =
          FileTreeReader.read(moduleDir, null, true, null, FileTreeReader.Observer.NONE);
      if (found.pin(m.entry()).isEmpty()) {
        throw new BinaryException(
            moduleDir.resolve(m.entry()), "the entry is not a file of the module directory");
      }
      if (!found.equals(m.files())) {
        String edited =
            ManifestEditor.withFiles(file, new String(bytes, StandardCharsets.UTF_8), m, found);
        bytes = edited.getBytes(StandardCharsets.UTF_8);
        m = ModuleManifest.parse(file, bytes);
        StateFiles.writeAtomically(
            file,
            bytes,
            Files.exists(file) ? Files.getPosixFilePermissions(file) : StateFiles.FILE_0600);
        changed = true;
      }
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
