package org.blvm.loader;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
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

  /** How a module's profile and limits follow from its runtime and grants. */
  record SandboxPolicy(
      String javaProfile,
      String nativeProfile,
      ResourceLimits javaLimits,
      ResourceLimits nativeLimits) {}

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
    Profile profile;
    try {
      profile = Profile.named(spec.java() ? policy.javaProfile() : policy.nativeProfile());
    } catch (ProfileException e) {
      throw new IOException("module " + spec.moduleId() + ": " + e.getMessage(), e);
    }
    SandboxSpec s =
        new SandboxSpec(
            spec.moduleId(),
            spec.java() ? SandboxSpec.Runtime.JAVA : SandboxSpec.Runtime.NATIVE,
            Path.of(cmd.get(0)),
            new ArrayList<>(cmd.subList(1, cmd.size())),
            env,
            readOnlyBinds(spec),
            List.of(spec.dataDir()),
            spec.socketDir(),
            spec.dataDir(),
            profile,
            spec.java() ? policy.javaLimits() : policy.nativeLimits(),
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
    return s == null ? spec.socketDir().resolve(ModuleSlot.SOCKET_NAME) : Path.of(s);
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
