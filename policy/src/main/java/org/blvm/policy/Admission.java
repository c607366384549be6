package org.blvm.policy;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Decides whether a module directory may run, without starting anything:
 *
 * <ol>
 *   <li>read {@code module.toml} with a size bound (nothing in it is trusted yet);
 *   <li>verify every signature file over those exact bytes: well-formed, by a trusted key that is
 *       not revoked and is within its validity window; a signature by a trusted key that does not
 *       verify is fatal; distinct key ids must reach the threshold;
 *   <li>parse the verified bytes; the name must match the directory; every counted signature's
 *       trusted comment must be {@code blvm-module/1 name=<name> version=<version>};
 *   <li>version ratchet: not lower than the highest version accepted before, and the same version
 *       only with the same binary and manifest digests;
 *   <li>granted capabilities = declared ∩ allowed (reject or drop the rest, per policy);
 *   <li>read the module's files once, copying them into the content-addressed store and hashing
 *       while copying: every file the manifest's {@code [files]} pins, with its size and SHA-256,
 *       and no other file, symbolic link or special file ({@link FileTreeException} names the
 *       path); an older manifest pinning only its binary has that file alone copied; record the
 *       version.
 * </ol>
 *
 * <p>Signature files are {@code module.toml.minisig} (minisign's default name) and {@code
 * module.toml.<signer>.minisig}, one per signer. See docs/signing.md.
 *
 * <p>The signature steps are {@link ManifestSignatures}'s, the capability grant {@link
 * CapabilityGrant}'s, the check of a pinned copy before it runs again {@link PinnedCheck}'s.
 *
 * <p>Over 400 lines: its admission modes (admit, candidate, restored, rollback, check) share the
 * one pipeline of {@code run}, and each is documented here.
 *
 * <p>Thread-safe. Not safe to share a state directory between two loader processes other than
 * through this class (the version file is locked while it changes).
 */
public final class Admission {
  /** The fixed prefix of every module signature's trusted comment: the domain separation. */
  public static final String COMMENT_PREFIX = "blvm-module/1 ";

  /** At most this many signature files per module. */
  public static final int MAX_SIGNATURES = 16;

  static final Pattern SIGNATURE_FILE = ManifestSignatures.SIGNATURE_FILE;

  private final Policy policy;
  private final Clock clock;
  private final int maxManifestBytes;
  private final ContentStore store;
  private final VersionRatchet ratchet;
  private final Path stateDir;
  private final FileTreeReader.Observer observer;

  private Admission(Builder b) {
    this.policy = b.policy;
    this.clock = b.clock;
    this.maxManifestBytes = b.maxManifestBytes;
    this.stateDir = b.stateDir;
    this.store = b.stateDir == null ? null : new ContentStore(b.stateDir, b.stateDirCreated);
    this.observer = b.observer;
    this.ratchet = b.stateDir == null ? null : new VersionRatchet(b.stateDir);
  }

  private Admission(Admission base, Policy policy) {
    this.policy = Objects.requireNonNull(policy, "policy");
    this.clock = base.clock;
    this.maxManifestBytes = base.maxManifestBytes;
    this.stateDir = base.stateDir;
    this.store = base.store;
    this.ratchet = base.ratchet;
    this.observer = base.observer;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The trusted comment a module's signatures must carry. */
  public static String trustedComment(String name, String version) {
    return COMMENT_PREFIX + "name=" + name + " version=" + version;
  }

  public Policy policy() {
    return policy;
  }

  /** The loader-owned state directory, when one was set (required by {@link #admit}). */
  public Optional<Path> stateDir() {
    return Optional.ofNullable(stateDir);
  }

  /**
   * The same admission — clock, state directory, binary store, version ratchet, manifest bound —
   * under another policy: what a policy reload switches to.
   */
  public Admission withPolicy(Policy newPolicy) {
    return new Admission(this, newPolicy);
  }

  /**
   * Checks a module admitted earlier against this admission's policy, reading nothing (the module
   * directory may hold other files by now; what runs is {@code admitted}): its signing keys must
   * still be trusted, unrevoked and valid now, in the number the module's threshold asks (an
   * unsigned module: {@code allow_unsigned} must still be set), and its declared capabilities must
   * still be allowed, or be dropped under {@code on_disallowed_capability = "drop"}. Returns the
   * module as this policy admits it: granted and dropped capabilities, the keys that still count,
   * the module's policy section. Keys the earlier policy did not count (untrusted then) are not
   * looked at again: they count from the module's next admission.
   *
   * @param moduleDir the module's directory, for messages
   * @throws ThresholdNotMetException too few of its keys still count; {@code notCounted} says why
   *     each other one does not (revoked, no longer trusted, not valid now)
   * @throws UnsignedModuleException it runs unsigned and the policy no longer allows that
   * @throws CapabilityNotAllowedException it declares a capability the policy no longer allows, and
   *     the policy rejects rather than drops
   */
  public AdmittedModule recheck(AdmittedModule admitted, Path moduleDir) throws AdmissionException {
    return PinnedCheck.recheck(policy, clock, admitted, moduleDir);
  }

  /**
   * A module admitted earlier, to run again without reading its directory (an automatic restart, an
   * operator's start or restart, a rollback): {@link #recheck} under this policy, then its copy in
   * the store is read back and must still hold exactly the files admitted. The ratchet is not
   * consulted: this is the copy that was verified and recorded when it was admitted.
   *
   * @throws AdmissionStateException the stored copy is missing or damaged (the message names it)
   */
  public AdmittedModule readmit(AdmittedModule admitted, Path moduleDir) throws AdmissionException {
    return PinnedCheck.readmit(policy, clock, store != null, admitted, moduleDir);
  }

  /**
   * Lets processes of group {@code gid} (the sandboxes of a root loader, which bubblewrap sets up
   * as their own user) pass through the state directory to the verified trees in the store: mode
   * 0710 with that group, so a tree can be reached by its name but the store not listed. A state
   * directory this process created is given the group; one that existed must already let the group
   * in (checked, never changed).
   *
   * @throws AdmissionStateException naming the directory and the fix
   * @throws IllegalStateException when built without a state directory
   */
  public void allowEntry(int gid) throws AdmissionStateException {
    if (store == null) {
      throw new IllegalStateException("allowEntry needs a state directory");
    }
    store.allowEntry(gid);
  }

  /**
   * Admits the module in {@code moduleDir}: every check, then its files are copied into the store
   * and the version is recorded. Run {@link AdmittedModule#binaryPath()} and mount {@link
   * AdmittedModule#tree()}, never the original.
   *
   * @throws IllegalStateException when built without a state directory
   */
  public AdmittedModule admit(Path moduleDir) throws AdmissionException {
    if (stateDir == null) {
      throw new IllegalStateException("admit needs a state directory; use check for a dry run");
    }
    return run(moduleDir, true, Ratchet.RECORD);
  }

  /**
   * {@link #admit} of a module directory the loader assembled from its own record of a version that
   * ran (its kept manifest and signatures, its files from the store): every check, and the release
   * a rollback that still counts went back to passes the ratchet too (docs/lifecycle.md).
   *
   * @throws IllegalStateException when built without a state directory
   */
  public AdmittedModule admitRestored(Path moduleDir) throws AdmissionException {
    if (stateDir == null) {
      throw new IllegalStateException("admitRestored needs a state directory");
    }
    return run(moduleDir, true, Ratchet.RESTORED);
  }

  /**
   * {@link #admitCandidate} of the version a rollback goes back to (assembled by the loader from
   * its own record, as for {@link #admitRestored}): every check; the ratchet allows a version older
   * than the highest unless the module was rolled back already (a second rollback is refused). The
   * rollback is recorded with {@link #recordRollback} once that version ran.
   *
   * @throws RollbackRefusedException a second rollback
   * @throws IllegalStateException when built without a state directory
   */
  public AdmittedModule admitRollback(Path moduleDir) throws AdmissionException {
    if (stateDir == null) {
      throw new IllegalStateException("admitRollback needs a state directory");
    }
    return run(moduleDir, true, Ratchet.ROLLBACK);
  }

  /**
   * Records in the version ratchet that the module was rolled back from {@code from} (its highest
   * recorded release, which stays its highest) to {@code to}, once {@code to} ran. Unsigned modules
   * are not recorded.
   *
   * @throws RollbackRefusedException the highest is no longer {@code from}, or it was rolled back
   *     to another release already
   */
  public void recordRollback(AdmittedModule to, AdmittedModule from) throws AdmissionException {
    if (ratchet == null) {
      throw new IllegalStateException("recordRollback needs a state directory");
    }
    if (!to.unsigned() && !from.unsigned()) {
      ratchet.commitRollback(to.manifest().name(), entry(to), entry(from));
    }
  }

  private static VersionRatchet.Entry entry(AdmittedModule m) {
    return new VersionRatchet.Entry(m.manifest().semVer(), m.binarySha256(), m.manifestSha256());
  }

  /**
   * {@link #admit} without recording the version in the ratchet: every check (the ratchet's too,
   * read-only) and the copy into the store. For an upgrade, which records the version with {@link
   * #recordRan} only once the new version ran; until then the ratchet still admits the version that
   * runs now, and another release of the version tried.
   *
   * @throws IllegalStateException when built without a state directory
   */
  public AdmittedModule admitCandidate(Path moduleDir) throws AdmissionException {
    if (stateDir == null) {
      throw new IllegalStateException("admitCandidate needs a state directory");
    }
    return run(moduleDir, true, Ratchet.READ);
  }

  /**
   * Records a module admitted by {@link #admitCandidate} in the version ratchet, once it ran:
   * checked again under the ratchet's lock (a higher version recorded meanwhile refuses it). An
   * unsigned module is not recorded, as with {@link #admit}.
   *
   * @throws IllegalStateException when built without a state directory
   */
  public void recordRan(AdmittedModule admitted) throws AdmissionException {
    if (ratchet == null) {
      throw new IllegalStateException("recordRan needs a state directory");
    }
    if (!admitted.unsigned()) {
      ratchet.commit(
          admitted.manifest().name(),
          admitted.manifest().semVer(),
          admitted.binarySha256(),
          admitted.manifestSha256(),
          false);
    }
  }

  /**
   * Every check {@link #admit} makes (the ratchet only when a state directory is set, read-only),
   * writing nothing: for {@code blvm-sign verify} and {@code blvm-loader policy check}. The
   * returned binary path and tree are the originals and must not be executed or mounted.
   */
  public AdmittedModule check(Path moduleDir) throws AdmissionException {
    return run(moduleDir, false, Ratchet.READ);
  }

  /** How an admission uses the version ratchet. */
  private enum Ratchet {
    /** Checked, not written. */
    READ,
    /** Checked, and the version recorded. */
    RECORD,
    /** As RECORD, for the loader's own record of a version: a rollback's release passes. */
    RESTORED,
    /** A rollback's target: one step below the highest allowed, not written. */
    ROLLBACK
  }

  private AdmittedModule run(Path moduleDir, boolean commit, Ratchet use)
      throws AdmissionException {
    Path dir = moduleDir.toAbsolutePath().normalize();
    String module = dir.getFileName() == null ? dir.toString() : dir.getFileName().toString();
    ModulePolicy mp = policy.forModule(module);
    ManifestSignatures.Verified verified =
        ManifestSignatures.verify(dir, module, policy, mp, clock.instant(), maxManifestBytes);
    Path manifestFile = verified.manifestFile;
    byte[] manifestBytes = verified.manifestBytes;
    Set<KeyId> signers = verified.signers;
    boolean unsigned = verified.unsigned;

    // Verified: now parse, and bind the signatures to this name and version.
    ModuleManifest manifest = ModuleManifest.parse(manifestFile, manifestBytes);
    if (!manifest.name().equals(module)) {
      throw new ManifestException(
          manifestFile,
          "name",
          "is \"" + manifest.name() + "\" but the directory is \"" + module + "\"");
    }
    ManifestSignatures.bindComments(verified, manifest);
    ModuleFiles pinned = manifest.tree();
    if (pinned == null && !unsigned) {
      throw new ManifestException(
          manifestFile,
          "files",
          "missing: a signed manifest must pin its files (blvm-sign sign writes [files])");
    }
    Sha256 manifestSha = Sha256.digest(manifestBytes);
    SemVer version = manifest.semVer();
    Sha256 entrySha = pinned == null ? null : pinned.pin(manifest.entry()).orElseThrow().sha256();
    if (!unsigned && ratchet != null) {
      switch (use) {
        case RESTORED -> ratchet.checkPinned(module, version, entrySha, manifestSha);
        case ROLLBACK -> ratchet.checkRollback(module, version, entrySha, manifestSha);
        default -> ratchet.check(module, version, entrySha, manifestSha);
      }
    }

    CapabilityGrant grant = CapabilityGrant.of(module, manifest, mp);

    // The files: every one as pinned (an older [binary] manifest: its entry alone), read once.
    boolean whole = manifest.files() != null || pinned == null;
    ContentStore.Stored tree =
        commit
            ? store.put(dir, pinned, whole, observer)
            : new ContentStore.Stored(
                dir, FileTreeReader.read(dir, pinned, whole, null, FileTreeReader.Observer.NONE));
    BinaryPin entryPin =
        tree.files()
            .pin(manifest.entry())
            .orElseThrow(
                () ->
                    new BinaryException(
                        dir.resolve(manifest.entry()),
                        "the entry is not a regular file of the module directory"));
    if ((use == Ratchet.RECORD || use == Ratchet.RESTORED) && !unsigned) {
      ratchet.commit(module, version, entrySha, manifestSha, use == Ratchet.RESTORED);
    }
    return new AdmittedModule(
        manifest,
        grant.granted(),
        grant.dropped(),
        tree.root().resolve(manifest.entry()),
        entryPin.sha256(),
        signers,
        mp,
        manifestSha,
        new ModuleTree(tree.root(), tree.files()));
  }

  /** The signature files in {@code dir}, sorted by name. */
  static List<Path> signatureFiles(Path dir) throws AdmissionException {
    return ManifestSignatures.signatureFiles(dir);
  }

  /** Configures an {@link Admission}. */
  public static final class Builder {
    private Policy policy;
    private Clock clock = Clock.systemUTC();
    private Path stateDir;
    private int maxManifestBytes = ModuleManifest.MAX_BYTES;
    private boolean stateDirCreated;
    private FileTreeReader.Observer observer = FileTreeReader.Observer.NONE;

    private Builder() {}

    /** Sees each module file opened while it is copied into the store (tests only). */
    Builder observer(FileTreeReader.Observer o) {
      this.observer = Objects.requireNonNull(o);
      return this;
    }

    /** The operator's policy (required). */
    public Builder policy(Policy policy) {
      this.policy = Objects.requireNonNull(policy);
      return this;
    }

    /** Time source for key validity windows. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock);
      return this;
    }

    /**
     * The loader-owned directory holding the version ratchet ({@code versions}, 0600) and the
     * module store ({@code store/trees/}). Required for {@link #admit}. Created 0700 when missing;
     * an existing one is checked, never changed ({@link LoaderRoot}).
     */
    public Builder stateDir(Path dir) {
      this.stateDir = dir.toAbsolutePath().normalize();
      return this;
    }

    /** Bound on the manifest size (default {@link ModuleManifest#MAX_BYTES}). */
    public Builder maxManifestBytes(int n) {
      if (n < 1 || n > ModuleManifest.MAX_BYTES) {
        throw new IllegalArgumentException(
            "maxManifestBytes must be from 1 to " + ModuleManifest.MAX_BYTES + ", found " + n);
      }
      this.maxManifestBytes = n;
      return this;
    }

    /**
     * Builds it; creates the state directory 0700 when one is set and missing.
     *
     * @throws AdmissionStateException when the state directory cannot be made, or is not fit to be
     *     the loader's own (see {@link LoaderRoot})
     */
    public Admission build() throws AdmissionStateException {
      if (policy == null) {
        throw new IllegalStateException("policy is required");
      }
      if (stateDir != null) {
        try {
          stateDirCreated = LoaderRoot.prepare(stateDir, "stateDir", -1);
        } catch (UnsafeRootException e) {
          throw new AdmissionStateException(e.path(), e.getMessage(), e);
        } catch (IOException e) {
          throw new AdmissionStateException(stateDir, "cannot make the state directory: " + e, e);
        }
      }
      return new Admission(this);
    }
  }
}
