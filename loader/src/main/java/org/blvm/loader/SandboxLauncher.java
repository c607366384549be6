package org.blvm.loader;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.blvm.policy.ModulePolicy;
import org.blvm.sandbox.PreflightReport;
import org.blvm.sandbox.Profile;
import org.blvm.sandbox.ProfileException;
import org.blvm.sandbox.ResourceLimits;
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
 * <p>Inside the sandbox the module's socket directory is {@code /run/blvm} ({@code BLVM_SOCKET} is
 * rewritten), its data directory and its installed directory appear at their host paths (the latter
 * read-only). When the loader runs as root, sandboxes run as the configured unprivileged user:
 * socket and data directories are handed to that user (0700), and the loader's runtime and data
 * roots become {@code root:<sandbox group> 0710} so bwrap, running as that user, can reach them
 * without listing them.
 */
final class SandboxLauncher implements ModuleLauncher {
  private static final System.Logger LOG = System.getLogger("blvm.loader.sandbox");

  private final Sandbox sandbox;
  private final PreflightReport report;
  private final Set<String> unsandboxed;
  private final ModuleLauncher plain = new PlainProcessLauncher();
  private final SandboxPolicy policy;

  /** The loader's own profile and limits per runtime (builder settings): the defaults. */
  record SandboxPolicy(
      String javaProfile,
      String nativeProfile,
      ResourceLimits javaLimits,
      ResourceLimits nativeLimits) {}

  /**
   * What one module runs with.
   *
   * @param profile the seccomp profile's name (in native-profiles/)
   * @param profileFromPolicy whether the operator's policy named it (else the loader's default)
   * @param limits the sandbox's resource limits
   * @param heapFromPolicy JVM only: whether {@code limits.heapMb()} follows the policy's memory_mb
   */
  record Resolved(
      String profile, boolean profileFromPolicy, ResourceLimits limits, boolean heapFromPolicy) {}

  /** JVM heap for a policy memory_mb: half of it (the rest is metaspace, code, stacks, malloc). */
  static int jvmHeapMb(int memoryMb) {
    return Math.max(16, memoryMb / 2);
  }

  /**
   * The profile and limits of one module: every {@code sandbox_profile} and {@code limits} value
   * the operator wrote in the policy ({@link ModulePolicy#isExplicit}) replaces the loader's
   * default for the module's runtime; values the policy does not set keep the loader's default.
   * Pure: no file is read and nothing is checked beyond the mapping (the profile name is resolved
   * at launch, where an unknown name fails the launch).
   *
   * <ul>
   *   <li>open_files → RLIMIT_NOFILE
   *   <li>processes → RLIMIT_NPROC (processes and threads, per uid in the sandbox's user namespace)
   *   <li>cpu_seconds → RLIMIT_CPU; 0 → RLIM_INFINITY ({@link ResourceLimits#UNLIMITED})
   *   <li>disk_mb → RLIMIT_FSIZE (the largest single file, not the directory's total)
   *   <li>memory_mb → native: RLIMIT_AS; JVM: -Xmx of half of it (at least 16), RLIMIT_AS as the
   *       loader's JVM default (none unless set): a JVM reserves ~450 MiB of address space beyond
   *       its heap at start, so RLIMIT_AS = memory_mb would stop it starting
   * </ul>
   */
  static Resolved resolve(SandboxPolicy loader, boolean java, ModulePolicy p) {
    String profile = java ? loader.javaProfile() : loader.nativeProfile();
    ResourceLimits l = java ? loader.javaLimits() : loader.nativeLimits();
    if (p == null) {
      return new Resolved(profile, false, l, false);
    }
    boolean fromPolicy = p.isExplicit("sandbox_profile");
    if (fromPolicy) {
      profile = p.sandboxProfile();
    }
    org.blvm.policy.ResourceLimits pl = p.limits();
    if (p.isExplicit("limits.open_files")) {
      l = l.withOpenFiles(pl.openFiles());
    }
    if (p.isExplicit("limits.processes")) {
      l = l.withProcesses(pl.processes());
    }
    if (p.isExplicit("limits.cpu_seconds")) {
      l = l.withCpuSeconds(pl.cpuSeconds() == 0 ? ResourceLimits.UNLIMITED : pl.cpuSeconds());
    }
    if (p.isExplicit("limits.disk_mb")) {
      l = l.withFileSizeBytes((long) pl.diskMb() << 20);
    }
    boolean heap = false;
    if (p.isExplicit("limits.memory_mb")) {
      if (java) {
        l = l.withHeapMb(jvmHeapMb(pl.memoryMb()));
        heap = true;
      } else {
        l = l.withAddressSpaceBytes((long) pl.memoryMb() << 20);
      }
    }
    return new Resolved(profile, fromPolicy, l, heap);
  }

  /**
   * JVM arguments without the loader's own {@code -Xmx} options (before {@code -cp}/{@code -jar}),
   * so that the sandbox's heap flag, which precedes them, is the one the JVM uses.
   */
  static List<String> withoutHeapFlags(List<String> jvmArgs) {
    List<String> out = new ArrayList<>();
    boolean options = true;
    for (String a : jvmArgs) {
      if (options && (a.equals("-cp") || a.equals("-jar") || !a.startsWith("-"))) {
        options = false;
      }
      if (!(options && a.startsWith("-Xmx"))) {
        out.add(a);
      }
    }
    return out;
  }

  SandboxLauncher(SandboxOptions options, Set<String> unsandboxed, SandboxPolicy policy) {
    this.unsandboxed = Set.copyOf(unsandboxed);
    this.policy = policy;
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
    for (String id : unsandboxed) {
      LOG.log(
          System.Logger.Level.ERROR,
          "DEVELOPMENT SETTING: module {0} will run WITHOUT the sandbox (no namespaces, no seccomp,"
              + " no resource limits). Never use this in production.",
          id);
    }
  }

  /**
   * Unsandboxed for development, or sandboxed: as the sandbox user, shared by every sandbox, when
   * the loader is root; else as the loader's own uid.
   */
  @Override
  public org.blvm.policy.ExposureFacts.Isolation isolation(String moduleId) {
    if (unsandboxed.contains(moduleId)) {
      return org.blvm.policy.ExposureFacts.Isolation.UNSANDBOXED;
    }
    return runsAsRoot()
        ? org.blvm.policy.ExposureFacts.Isolation.SANDBOX_SHARED_UID
        : org.blvm.policy.ExposureFacts.Isolation.SANDBOX_NODE_UID;
  }

  @Override
  public java.util.Optional<String> defaultProfile(boolean jvm) {
    return java.util.Optional.of(jvm ? policy.javaProfile() : policy.nativeProfile());
  }

  /** Whether this process's effective uid is root (the owner of {@code /proc/self}). */
  private static boolean runsAsRoot() {
    try {
      return ((Integer) java.nio.file.Files.getAttribute(Path.of("/proc/self"), "unix:uid")) == 0;
    } catch (IOException | RuntimeException e) {
      return false;
    }
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
    sandbox.grantTraversal(spec.socketDir().getParent());
    sandbox.grantTraversal(spec.dataDir().getParent());
    sandbox.giveToSandbox(spec.socketDir());
    sandbox.giveToSandbox(spec.dataDir());

    Map<String, String> env = new LinkedHashMap<>(spec.environment());
    env.put(
        "BLVM_SOCKET", SandboxSpec.SOCKET_DIR + "/" + spec.socketDir().relativize(socketOf(spec)));
    List<String> cmd = spec.command();
    Resolved r = resolve(policy, spec.java(), spec.policy());
    Profile profile;
    try {
      profile = Profile.named(r.profile());
    } catch (ProfileException e) {
      // fail closed: never another profile instead of the one the operator named
      throw new IOException(
          "module "
              + spec.moduleId()
              + ": sandbox profile \""
              + r.profile()
              + "\""
              + (r.profileFromPolicy()
                  ? " named by the policy (sandbox_profile in ["
                      + spec.policy().section()
                      + "]"
                      + " or [defaults])"
                  : " (loader setting sandboxProfiles)")
              + " cannot be used, refusing to start it: "
              + e.getMessage(),
          e);
    }
    List<String> args = new ArrayList<>(cmd.subList(1, cmd.size()));
    if (spec.java() && r.heapFromPolicy()) {
      args = withoutHeapFlags(args);
    }
    LOG.log(
        System.Logger.Level.INFO,
        "module {0}: sandbox profile {1} ({2}), limits {3}",
        spec.moduleId(),
        r.profile(),
        r.profileFromPolicy() ? "policy" : "loader default",
        r.limits());
    SandboxSpec s =
        new SandboxSpec(
            spec.moduleId(),
            spec.java() ? SandboxSpec.Runtime.JAVA : SandboxSpec.Runtime.NATIVE,
            Path.of(cmd.get(0)),
            args,
            env,
            readOnlyBinds(spec),
            List.of(spec.dataDir()),
            spec.socketDir(),
            spec.dataDir(),
            profile,
            r.limits(),
            spec.network(),
            spec.outputLog());
    SandboxedProcess p = sandbox.start(s);
    LOG.log(System.Logger.Level.DEBUG, "module {0}: {1}", spec.moduleId(), p);
    return new Sandboxed(p);
  }

  /**
   * The module directory, plus every absolute file the command names outside it (a verified copy of
   * the binary in a content-addressed store, a jar on -cp): each bound read-only at its path. The
   * JVM itself is bound by the sandbox as the runtime. Bind sources must be reachable by the
   * sandbox user (see sandbox.md, "Root and the sandbox user").
   */
  private static List<Path> readOnlyBinds(LaunchSpec spec) {
    List<Path> ro = new ArrayList<>(List.of(spec.moduleDir()));
    if (!spec.binary().startsWith(spec.moduleDir())) {
      ro.add(spec.binary());
    }
    List<String> cmd = spec.command();
    for (int i = spec.java() ? 1 : 0; i < cmd.size(); i++) {
      String a = cmd.get(i);
      if (!a.startsWith("/")) {
        continue;
      }
      Path p = Path.of(a).normalize();
      if (!p.startsWith(spec.moduleDir())
          && !ro.contains(p)
          && java.nio.file.Files.isRegularFile(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
        ro.add(p);
      }
    }
    return ro;
  }

  private static Path socketOf(LaunchSpec spec) {
    String s = spec.environment().get("BLVM_SOCKET");
    return s == null ? spec.socketDir().resolve(Endpoint.SOCKET_NAME) : Path.of(s);
  }

  private static final class Sandboxed implements LaunchedProcess {
    private final SandboxedProcess p;

    Sandboxed(SandboxedProcess p) {
      this.p = p;
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
    public void terminate() {
      p.terminate();
    }

    @Override
    public void kill() {
      p.kill();
    }
  }
}
