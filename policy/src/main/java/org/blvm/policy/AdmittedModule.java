package org.blvm.policy;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Set;
import org.blvm.protocol.Capability;

/**
 * A module admission accepted: what it may do, and which file to run.
 *
 * @param manifest the manifest, parsed from the exact bytes whose signatures were verified
 * @param grantedCapabilities declared ∩ allowed by the policy
 * @param droppedCapabilities declared but not allowed (non-empty only with {@code drop})
 * @param binaryPath the entry to run: in the verified copy of the module's files in the loader's
 *     content-addressed store (from {@link Admission#admit}); for {@link Admission#check} the
 *     original, merely checked
 * @param binarySha256 the SHA-256 of the entry's bytes when they were checked
 * @param signerKeyIds distinct trusted keys whose signatures counted (empty when admitted unsigned)
 * @param modulePolicy the policy that applies to the module
 * @param manifestSha256 SHA-256 of the manifest bytes that were verified and parsed
 * @param tree all of the module's files, and where they are (the directory a sandbox mounts)
 */
public record AdmittedModule(
    ModuleManifest manifest,
    Set<Capability> grantedCapabilities,
    Set<Capability> droppedCapabilities,
    Path binaryPath,
    Sha256 binarySha256,
    Set<KeyId> signerKeyIds,
    ModulePolicy modulePolicy,
    Sha256 manifestSha256,
    ModuleTree tree) {
  public AdmittedModule {
    Objects.requireNonNull(manifest);
    grantedCapabilities = Set.copyOf(grantedCapabilities);
    droppedCapabilities = Set.copyOf(droppedCapabilities);
    Objects.requireNonNull(binaryPath);
    Objects.requireNonNull(binarySha256);
    signerKeyIds = Set.copyOf(signerKeyIds);
    Objects.requireNonNull(modulePolicy);
    Objects.requireNonNull(manifestSha256);
    Objects.requireNonNull(tree);
  }

  /** True when admitted without signatures under {@code allow_unsigned}. */
  public boolean unsigned() {
    return signerKeyIds.isEmpty();
  }
}
