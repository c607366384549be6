package org.blvm.loader;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.blvm.policy.LoaderRoot;
import org.blvm.sandbox.PreflightReport;
import org.blvm.sandbox.Profile;
import org.blvm.sandbox.ProfileException;
import org.blvm.sandbox.Sandbox;
import org.blvm.sandbox.SandboxException;
import org.blvm.sandbox.SandboxOptions;
import org.blvm.sandbox.SandboxSpec;
import org.blvm.sandbox.SandboxUnavailableException;
import org.blvm.sandbox.SandboxedProcess;
import org.blvm.sandbox.Sandboxes;

/**
 * Runs every module in a bubblewrap sandbox (org.blvm.sandbox). Fails closed: when the preflight
 * fails no module starts, except those the operator named in {@code unsandboxedForDevelopment},
 * which run as plain processes with an ERROR log line at each launch.
 *
 * <p>Inside the sandbox the module's socket directory is {@code /run/blvm} (its {@code BLVM_SOCKET}
 * names the socket there), its data directory and its read-only binds (the verified copy of its
 * files in the admission store, an interpreted module's interpreter and its library) appear at
 * their host paths. The profile and limits come decided in the {@link LaunchSpec}; this class only
 * maps them onto a {@link SandboxSpec}. When the loader runs as root, sandboxes run as the
 * configured unprivileged user: socket and data directories (which the loader created below its
 * roots) are handed to that user (0700). bwrap resolves bind sources as that user, so every
 * ancestor of them must let the sandbox group in: the loader makes the roots it creates {@code
 * root:<sandbox group> 0710} ({@link #enterGid}), and refuses a launch, naming the directory and
 * the fix, when an ancestor it did not create does not; it changes nothing it did not create.
 */
final class SandboxLauncher implements ModuleLauncher {
  private static final System.Logger LOG = System.getLogger("blvm.loader.sandbox");

  private final Sandbox sandbox;
  private final PreflightReport report;
  private final Set<String> unsandboxed;
  private final ModuleLauncher plain = new PlainProcessLauncher();
  private final Path dataRoot;
  private final ClassDataArchives archives;

  /** guarded by this; made at the first launch that needs it */
  private ModuleUids uids;

  /**
   * @param dataRoot the loader's data root: it keeps the record of module uids
   */
  SandboxLauncher(SandboxOptions options, Set<String> unsandboxed, Path dataRoot) {
    this.unsandboxed = Set.copyOf(unsandboxed);
    this.dataRoot = dataRoot;
    Sandbox s = null;
    PreflightReport r;
    try {
      s = Sandboxes.bubblewrap(options);
      r = new PreflightReport(List.of(), List.of());
    } catch (SandboxUnavailableException e) {
      r = e.report();
    } catch (SandboxException e) {
      r = new PreflightReport(List.of(e.getMessage()), List.of());
    } catch (LinkageError e) {
      // JNA or a native library could not be linked: never run unsandboxed because of it
      r = new PreflightReport(List.of("cannot link the sandbox's native code: " + e), List.of());
    }
    this.sandbox = s;
    this.report = r;
    this.archives =
        s == null
            ? null
            : new ClassDataArchives(
                dataRoot.resolve(ClassDataArchives.DIR_NAME), new SandboxedDump(s));
    for (String id : unsandboxed) {
      LOG.log(
          System.Logger.Level.ERROR,
          "DEVELOPMENT SETTING: module {0} will run WITHOUT the sandbox (no namespaces, no seccomp,"
              + " no resource limits). Never use this in production.",
          id);
    }
  }

  /**
   * Unsandboxed for development; or sandboxed: as a uid of its own from the module uid range when
   * the loader is root and has one, as the one sandbox user every sandbox shares when the loader is
   * root without a range, else as the loader's own uid.
   */
  @Override
  public org.blvm.policy.ExposureFacts.Isolation isolation(String moduleId) {
    if (unsandboxed.contains(moduleId)) {
      return org.blvm.policy.ExposureFacts.Isolation.UNSANDBOXED;
    }
    if (sandbox == null) {
      return org.blvm.policy.ExposureFacts.Isolation.UNKNOWN; // nothing runs: see problems()
    }
    if (!runsAsRoot()) {
      return org.blvm.policy.ExposureFacts.Isolation.SANDBOX_NODE_UID;
    }
    return sandbox.moduleUids().isPresent()
        ? org.blvm.policy.ExposureFacts.Isolation.SANDBOX_OWN_UID
        : org.blvm.policy.ExposureFacts.Isolation.SANDBOX_SHARED_UID;
  }

  /** Whether this process's effective uid is root (the owner of {@code /proc/self}). */
  private static boolean runsAsRoot() {
    try {
      return ((Integer) java.nio.file.Files.getAttribute(Path.of("/proc/self"), "unix:uid")) == 0;
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  private synchronized ModuleUids uids() throws IOException {
    if (uids == null) {
      Set<Integer> reserved = new java.util.HashSet<>(ModuleUids.accountIds());
      reserved.add(sandbox.hostGid());
      uids = new ModuleUids(sandbox.moduleUids().orElseThrow(), dataRoot, reserved);
    }
    return uids;
  }

  /**
   * A data directory left by another uid (a lost uid record, or a shared sandbox user before): the
   * directory is handed over, the files in it keep their owner, which the operator is told.
   */
  private void warnIfDataOwnedByAnother(LaunchSpec spec, int uid) throws IOException {
    int owner = (Integer) Files.getAttribute(spec.dataDir(), "unix:uid", LinkOption.NOFOLLOW_LINKS);
    int expected = uid >= 0 ? uid : sandbox.hostUid();
    int loader = (Integer) Files.getAttribute(dataRoot, "unix:uid", LinkOption.NOFOLLOW_LINKS);
    if (owner != expected && owner != loader) {
      LOG.log(
          System.Logger.Level.WARNING,
          "module {0}: its data directory {1} belonged to uid {2}, the module now runs as uid {3};"
              + " files in it keep their owner (chown -R {3}:{3} {1} hands them over)",
          spec.moduleId(),
          spec.dataDir().toString(),
          Integer.toString(owner),
          Integer.toString(expected));
    }
  }

  /**
   * The group sandboxes carry to enter the loader's directories, or -1 (same uid as the loader).
   */
  int enterGid() {
    return sandbox == null ? -1 : sandbox.hostGid();
  }

  /** The module jar's archive, built in a sandbox of its own ({@link ClassDataArchives}). */
  @Override
  public java.util.Optional<Path> classDataArchive(String moduleId, Path javaExecutable, Path jar) {
    return archives == null
        ? java.util.Optional.empty()
        : archives.archiveFor(moduleId, javaExecutable, jar);
  }

  @Override
  public java.util.Optional<Boolean> classDataLaunchEnded(
      String moduleId, java.util.Optional<Path> archive, long pid) {
    if (archives == null) {
      return java.util.Optional.empty();
    }
    java.util.Optional<Boolean> mapped =
        archive.flatMap(a -> archives.checkMapped(moduleId, a, pid));
    archives.launchEnded(moduleId);
    return mapped;
  }

  @Override
  public List<String> problems() {
    return report.problems();
  }

  @Override
  public LaunchedProcess launch(LaunchSpec spec) throws IOException {
    if (unsandboxed.contains(spec.moduleId())) {
      LOG.log(
          System.Logger.Level.ERROR,
          "module {0} starts UNSANDBOXED (development setting unsandboxedForDevelopment)",
          spec.moduleId());
      return plain.launch(spec);
    }
    if (sandbox == null) {
      throw new IOException(
          "refusing to start module "
              + spec.moduleId()
              + " without its sandbox; the sandbox cannot be built:\n"
              + new PreflightReport(report.problems(), List.of()).describe());
    }
    Map<String, Long> steps = new LinkedHashMap<>();
    int gid = sandbox.hostGid();
    if (gid >= 0) {
      // bwrap resolves every bind source as the sandbox user: each ancestor must let it in (an
      // ancestor shared by several binds is looked at once per launch)
      List<Path> binds = new ArrayList<>(List.of(spec.socketDir(), spec.dataDir()));
      binds.addAll(spec.readOnlyBinds());
      Set<Path> entered = new HashSet<>();
      for (Path b : binds) {
        LoaderRoot.requireEnterable(b.getParent(), gid, "module " + spec.moduleId(), entered);
      }
    }
    steps.put("enterable", System.nanoTime());
    // a new module's uid record is written while the launch goes on, and awaited before release
    ModuleUids.Assignment assigned =
        sandbox.moduleUids().isPresent() ? uids().assign(spec.moduleId()) : null;
    int uid = assigned == null ? -1 : assigned.uid();
    steps.put("uid", System.nanoTime());
    warnIfDataOwnedByAnother(spec, uid);
    sandbox.giveToSandbox(spec.socketDir(), uid);
    sandbox.giveToSandbox(spec.dataDir(), uid);
    steps.put("handed", System.nanoTime());

    LaunchSpec.Confinement c = spec.confinement();
    Profile profile;
    try {
      profile = Profile.named(c.profile());
    } catch (ProfileException e) {
      // fail closed: never another profile instead of the one the operator named
      throw new IOException(
          "module "
              + spec.moduleId()
              + ": sandbox profile \""
              + c.profile()
              + "\""
              + (c.profileFromPolicy()
                  ? " named by the policy (sandbox_profile in [modules."
                      + spec.moduleId()
                      + "] or [defaults])"
                  : " (loader setting sandboxProfiles)")
              + " cannot be used, refusing to start it: "
              + e.getMessage(),
          e);
    }
    if (c.network()) {
      LOG.log(
          System.Logger.Level.ERROR,
          "module {0} SHARES THE HOST''S NETWORK (policy network = \"host\" in [modules.{0}]): it"
              + " can reach the host''s loopback services (the node''s RPC port), every abstract"
              + " Unix socket of the host, the LAN and the internet, and bind any free port; no"
              + " connect or listen rule applies to it. Use [modules.{0}.network] rules instead.",
          spec.moduleId());
    }
    LOG.log(
        System.Logger.Level.INFO,
        "module {0}: sandbox profile {1} ({2}), limits {3}",
        spec.moduleId(),
        c.profile(),
        c.profileFromPolicy() ? "policy" : "loader default",
        c.limits());
    LaunchSpec.Entry entry = spec.entry();
    String moduleSocket = SandboxSpec.SOCKET_DIR + "/" + spec.socketName();
    SandboxSpec s =
        new SandboxSpec(
            spec.moduleId(),
            entry.runtime() == LaunchSpec.Runtime.JAVA
                ? SandboxSpec.Runtime.JAVA
                : SandboxSpec.Runtime.NATIVE,
            entry.executable(),
            entry.arguments(spec.arguments()),
            spec.environment(moduleSocket),
            spec.readOnlyBinds(),
            List.of(spec.dataDir()),
            spec.socketDir(),
            spec.dataDir(),
            profile,
            c.limits(),
            c.network(),
            uid);
    steps.put("profile", System.nanoTime());
    SandboxedProcess p =
        assigned == null ? sandbox.start(s) : sandbox.start(s, assigned::awaitRecorded);
    LOG.log(System.Logger.Level.DEBUG, "module {0}: {1}", spec.moduleId(), p);
    steps.putAll(p.launchSteps());
    return LoggedProcess.of(
        spec.moduleId(), new Sandboxed(p, moduleSocket, steps), p.output(), spec.outputLog());
  }

  private static final class Sandboxed implements LaunchedProcess {
    private final SandboxedProcess p;
    private final String moduleSocket;
    private final Map<String, Long> steps;

    /**
     * @param steps the launcher's steps before the sandbox's, then the sandbox's own
     */
    Sandboxed(SandboxedProcess p, String moduleSocket, Map<String, Long> steps) {
      this.p = p;
      this.moduleSocket = moduleSocket;
      this.steps = java.util.Collections.unmodifiableMap(steps);
    }

    @Override
    public String moduleSocketPath() {
      return moduleSocket;
    }

    @Override
    public long pid() {
      return p.pid();
    }

    @Override
    public CompletableFuture<Integer> onExit() {
      return p.onExit();
    }

    @Override
    public boolean isPeer(long peerPid) {
      return p.isInside(peerPid);
    }

    @Override
    public Map<String, Long> launchSteps() {
      return steps;
    }

    @Override
    public int processesSpawned() {
      return p.processesSpawned();
    }

    @Override
    public void terminate() {
      p.terminate();
    }

    @Override
    public void kill() {
      p.kill();
    }
  }
}
