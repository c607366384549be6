package org.blvm.sandbox;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Launches programs under bubblewrap. bwrap is spawned with posix_spawn from one long-lived
 * launcher thread (bwrap's --die-with-parent fires when the spawning <em>thread</em> exits), with
 * exactly the descriptors it needs: 0 /dev/null, 1+2 the output pipe, 3 --info-fd, 4 --block-fd, 5
 * --seccomp, 6.. the environment (--args), passwd/group data and --bind-fd sources; everything else
 * is closed (closefrom). Nothing of the program's environment is on bwrap's command line.
 *
 * <p>This class is the launch: the identity a sandbox runs as, the pipes, the spawn, bwrap's
 * report, the resource limits (applied and read back) and the release of the program. What bwrap is
 * told to build (its arguments, and the descriptors they name) is {@link BwrapArgv}'s.
 */
final class BubblewrapSandbox implements Sandbox {
  /** The one thread that spawns every bwrap; lives as long as the JVM. */
  private static final ExecutorService LAUNCHER =
      Executors.newSingleThreadExecutor(
          r -> {
            Thread t = new Thread(r, "blvm-sandbox-launcher");
            t.setDaemon(true);
            return t;
          });

  private static final Pattern CHILD_PID = Pattern.compile("\"child-pid\"\\s*:\\s*(\\d+)");
  private static final Pattern PID_NS = Pattern.compile("\"pid-namespace\"\\s*:\\s*(\\d+)");

  /**
   * Below this many open files bwrap itself may run short of descriptors, so limits are then set
   * after it started (see {@link #limitsByExec}).
   */
  static final long EXEC_LIMITS_MIN_OPEN_FILES = 64;

  /** The file type bits of st_mode, and the type of a directory. */
  private static final int S_IFMT = 0170000;

  private static final int S_IFDIR = 0040000;

  private final SandboxOptions options;
  private final int uid;
  private final int gid;
  private final boolean switchUser;

  /**
   * Root without CAP_SYS_RESOURCE (usual in containers) may not prlimit another uid's process. Then
   * util-linux {@code prlimit} sets the limits on itself and execs the identity change ({@link
   * Identity#become}), which execs bwrap: bwrap, the sandbox's pid 1 and the program inherit them,
   * with no helper process per launch.
   */
  private final boolean limitsByExec;

  /**
   * coreutils {@code chroot}, which becomes a numeric identity without a user or group database
   * lookup when each id is written {@code +N}; util-linux {@code setpriv} looks every id up as a
   * name first.
   */
  static final Path CHROOT = Path.of("/usr/sbin/chroot");

  static final int CAP_SYS_CHROOT = 18;

  /**
   * Whether the identity change runs through {@link #CHROOT} (root with {@code CAP_SYS_CHROOT},
   * into its own root {@code /}, so nothing but the ids changes) rather than setpriv.
   */
  private final boolean chrootIds;

  /**
   * A root loader that may change a thread's ids spawns bwrap from a launcher thread of the
   * sandbox's identity and sets the limits on pid 1 from it ({@link IdentityThreads}): bwrap is the
   * one program exec'd per launch. Null otherwise: then {@code prlimit} and the identity change
   * ({@link Identity#become}) are exec'd before bwrap, or the limits set by a helper process.
   */
  private final IdentityThreads idThreads;

  /** The host identity one sandbox runs as: uid, gid and (when switching) the shared group. */
  record Identity(int uid, int gid, boolean switchUser, int sharedGid) {
    /**
     * The command that becomes this identity (real, effective and saved uid and gid; supplementary
     * groups the shared group only, or none when it is the gid) and execs the rest of the line.
     * Either program exits non-zero without running the rest when any step fails.
     */
    List<String> become(Path setpriv, boolean chroot) {
      if (chroot) {
        return List.of(
            CHROOT.toString(),
            "--userspec=+" + uid + ":+" + gid,
            "--groups=" + (gid == sharedGid ? "" : "+" + sharedGid),
            "--skip-chdir",
            "/");
      }
      return List.of(
          setpriv.toString(),
          "--reuid=" + uid,
          "--regid=" + gid,
          gid == sharedGid ? "--clear-groups" : "--groups=" + sharedGid,
          "--");
    }
  }

  private BubblewrapSandbox(SandboxOptions options, int uid, int gid, boolean switchUser) {
    this.options = options;
    this.uid = uid;
    this.gid = gid;
    this.switchUser = switchUser;
    this.limitsByExec = switchUser && !RlimitLaunch.hasCapability(RlimitLaunch.CAP_SYS_RESOURCE);
    this.chrootIds =
        switchUser && RlimitLaunch.hasCapability(CAP_SYS_CHROOT) && Files.isExecutable(CHROOT);
    this.idThreads = switchUser && IdentityThreads.available() ? new IdentityThreads() : null;
  }

  /** Who a spec runs as: its own uid from the module range, or the sandbox user. */
  private Identity identity(int specUid) throws SandboxException {
    if (specUid < 0) {
      return new Identity(uid, switchUser ? gid : Libc.getegid(), switchUser, gid);
    }
    UidRange range = switchUser ? options.moduleUids() : null;
    if (range == null || !range.contains(specUid)) {
      throw new SandboxException(
          "uid "
              + specUid
              + " is not one this sandbox may run as (module uid range: "
              + (range == null ? "none" : range)
              + ")");
    }
    return new Identity(specUid, specUid, true, gid);
  }

  static BubblewrapSandbox create(SandboxOptions options) throws SandboxException {
    try {
      Libc.requireSymbols();
      Seccomp.requireLibrary();
    } catch (UnsatisfiedLinkError e) {
      throw new SandboxException("native libraries for the sandbox missing: " + e.getMessage(), e);
    }
    int euid = Libc.geteuid();
    if (euid != 0) {
      return new BubblewrapSandbox(options, euid, -1, false);
    }
    int[] ug;
    try {
      ug = options.resolveUser();
    } catch (IOException e) {
      throw new SandboxException("cannot read /etc/passwd: " + e.getMessage(), e);
    }
    if (ug == null || ug[0] == 0) {
      throw new SandboxException(
          "the loader runs as root but no unprivileged sandbox user is configured (found "
              + options.user()
              + "); create one (useradd --system --no-create-home blvm-sandbox) and set it");
    }
    UidRange r = options.moduleUids();
    if (r != null && (r.contains(ug[0]) || r.contains(ug[1]))) {
      throw new SandboxException(
          "the module uid range "
              + r
              + " contains the sandbox user "
              + options.user()
              + " (uid "
              + ug[0]
              + ", gid "
              + ug[1]
              + "): choose a range without it (-Dblvm.sandboxUids=FIRST-LAST)");
    }
    return new BubblewrapSandbox(options, ug[0], ug[1], true);
  }

  @Override
  public java.util.Optional<UidRange> moduleUids() {
    return switchUser
        ? java.util.Optional.ofNullable(options.moduleUids())
        : java.util.Optional.empty();
  }

  @Override
  public int hostUid() {
    return uid;
  }

  @Override
  public int hostGid() {
    return gid;
  }

  @Override
  public void grantTraversal(Path dir) throws IOException {
    if (switchUser) {
      Files.setAttribute(dir, "unix:gid", gid, LinkOption.NOFOLLOW_LINKS);
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx--x---"));
    }
  }

  @Override
  public void giveToSandbox(Path dir, int uid) throws IOException {
    // one lstat: a symbolic link is never followed, and what is already as wanted (a restart) is
    // left as it is
    Map<String, Object> a =
        Files.readAttributes(dir, "unix:mode,uid,gid", LinkOption.NOFOLLOW_LINKS);
    int mode = (Integer) a.get("mode");
    if ((mode & S_IFMT) != S_IFDIR) {
      throw new IOException(dir + " is not a real directory");
    }
    Identity id = identity(uid);
    if (id.switchUser()) {
      if ((Integer) a.get("uid") != id.uid()) {
        Files.setAttribute(dir, "unix:uid", id.uid(), LinkOption.NOFOLLOW_LINKS);
      }
      if ((Integer) a.get("gid") != id.gid()) {
        Files.setAttribute(dir, "unix:gid", id.gid(), LinkOption.NOFOLLOW_LINKS);
      }
    }
    if ((mode & 07777) != 0700) {
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
    }
  }

  @Override
  public SandboxedProcess start(SandboxSpec spec) throws SandboxException {
    return start(spec, () -> {});
  }

  @Override
  public SandboxedProcess start(SandboxSpec spec, BeforeRelease beforeRelease)
      throws SandboxException {
    Identity id = identity(spec.uid());
    Map<String, Long> steps = new java.util.LinkedHashMap<>();
    steps.put("prepared", System.nanoTime());
    int spawned = 1;
    List<Integer> toClose = new ArrayList<>();
    int infoRead = -1;
    int blockWrite = -1;
    int outputRead = -1;
    try {
      int[] info = Libc.pipe();
      int[] block = Libc.pipe();
      infoRead = info[0];
      blockWrite = block[1];
      toClose.add(info[1]);
      toClose.add(block[0]);
      int seccomp = spec.profile().compileToMemfd(spec.network() ? Set.of("network") : Set.of());
      toClose.add(seccomp);
      steps.put("seccomp", System.nanoTime());
      int devNull = Libc.open("/dev/null", Libc.O_RDONLY, 0);
      toClose.add(devNull);
      int[] output = Libc.pipe();
      outputRead = output[0];
      toClose.add(output[1]);

      // the descriptor plan's fixed part (BwrapArgv): 0 stdin, 1+2 output, 3 info, 4 block, 5
      // seccomp
      List<Integer> childFds =
          new ArrayList<>(List.of(devNull, output[1], output[1], info[1], block[0], seccomp));
      List<String> argv = new ArrayList<>();
      argv.add(options.bwrap().toString());
      argv.addAll(
          BwrapArgv.build(
              spec, id.switchUser() ? id.uid() : Libc.geteuid(), id.gid(), childFds, toClose));
      boolean threadIds = idThreads != null && id.switchUser();
      if (id.switchUser() && !threadIds) {
        argv.addAll(0, id.become(options.setpriv(), chrootIds));
      }
      boolean execLimits =
          !threadIds
              && limitsByExec
              && id.switchUser()
              && spec.limits().openFiles() >= EXEC_LIMITS_MIN_OPEN_FILES;
      if (execLimits) {
        List<String> prlimit = new ArrayList<>(List.of(options.prlimit().toString()));
        prlimit.addAll(RlimitLaunch.prlimitOptions(spec.limits()));
        prlimit.add("--");
        argv.addAll(0, prlimit);
      }

      steps.put("argv", System.nanoTime());
      // No locale for prlimit, setpriv and bwrap: with LANG set each of them loads the locale's
      // files at start (about 30 opens per program); the program's own environment, LANG
      // included, reaches it through --args, never through this one.
      String[] envp = {"PATH=/usr/bin:/bin"};
      int[] fds = childFds.stream().mapToInt(Integer::intValue).toArray();
      String exe = argv.get(0);
      String[] av = argv.toArray(new String[0]);
      java.util.concurrent.Callable<Integer> spawn = () -> Libc.spawn(exe, av, envp, fds);
      int pid =
          threadIds ? idThreads.call(id, "spawning bwrap", spawn) : get(LAUNCHER.submit(spawn));
      steps.put("spawned", System.nanoTime());
      for (int fd : toClose) {
        Libc.closeQuietly(fd);
      }
      toClose.clear();

      BwrapProcess p;
      try {
        String json = readInfo(infoRead);
        steps.put("sandbox-built", System.nanoTime());
        Matcher m1 = CHILD_PID.matcher(json);
        Matcher m2 = PID_NS.matcher(json);
        if (!m1.find() || !m2.find()) {
          throw new SandboxException(
              "bwrap --info-fd of " + spec.name() + " lacks child-pid or pid-namespace: " + json);
        }
        p =
            new BwrapProcess(
                spec.name(),
                pid,
                Integer.parseInt(m1.group(1)),
                Long.parseLong(m2.group(1)),
                new FdInputStream(outputRead));
        try {
          int init = (int) p.sandboxInitPid();
          if (threadIds) {
            // pid 1 runs as the launcher thread's own uid: no capability needed to lower them
            idThreads.call(
                id,
                "setting the limits",
                () -> {
                  RlimitLaunch.apply(init, spec.limits());
                  return null;
                });
          } else if (!execLimits) {
            RlimitLaunch.apply(init, spec.limits());
          }
        } catch (NativeException e) {
          if (threadIds || !id.switchUser() || e.errno() != 1) {
            throw e;
          }
          // Root without CAP_SYS_RESOURCE may not prlimit another uid's process; the sandbox user
          // may: run util-linux prlimit as that user on pid 1.
          applyLimitsAsSandboxUser((int) p.sandboxInitPid(), spec, id);
          spawned++;
        }
        steps.put("limits-set", System.nanoTime());
        RlimitLaunch.verify((int) p.sandboxInitPid(), spec.limits());
        steps.put("limits-checked", System.nanoTime());
        beforeRelease.run();
      } catch (IOException | RuntimeException e) {
        Libc.kill(pid, Libc.SIGKILL);
        BwrapProcess.reapInBackground(pid, spec.name());
        // bwrap's own message, when it wrote one before giving up (bounded, without waiting)
        String said =
            new String(Libc.readAvailable(outputRead, 4096), StandardCharsets.UTF_8).strip();
        throw new SandboxException(
            "sandbox of "
                + spec.name()
                + " failed to start: "
                + e.getMessage()
                + (said.isEmpty() ? "" : " (bwrap: " + said.replace('\n', ' ') + ")"),
            e);
      }
      // Limits are in place: let bwrap run the program.
      Libc.write(blockWrite, new byte[] {1});
      steps.put("released", System.nanoTime());
      p.launched(steps, spawned);
      p.startReaper();
      outputRead = -1; // the process's stream owns it now
      return p;
    } catch (SandboxException e) {
      throw e;
    } catch (IOException e) {
      throw new SandboxException(
          "cannot start the sandbox of " + spec.name() + ": " + e.getMessage(), e);
    } finally {
      for (int fd : toClose) {
        Libc.closeQuietly(fd);
      }
      Libc.closeQuietly(infoRead);
      Libc.closeQuietly(blockWrite);
      Libc.closeQuietly(outputRead);
    }
  }

  private static int get(Future<Integer> f) throws SandboxException {
    try {
      return awaitThroughInterrupts(f);
    } catch (ExecutionException e) {
      throw new SandboxException(
          "spawning bwrap failed: " + e.getCause().getMessage(), e.getCause());
    }
  }

  /**
   * The task's result, waited for through interrupts, which are kept for the caller: a spawn or a
   * prlimit is short, and a spawned bwrap's pid must never be lost (bwrap runs the program when its
   * block pipe is closed, limits or not); the launch then ends as usual.
   */
  static <T> T awaitThroughInterrupts(Future<T> f) throws ExecutionException {
    boolean interrupted = false;
    try {
      while (true) {
        try {
          return f.get();
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Reads bwrap's info JSON up to its closing brace (bwrap's child keeps the pipe open). */
  private static String readInfo(int fd) throws IOException {
    StringBuilder b = new StringBuilder();
    byte[] buf = new byte[4096];
    while (b.length() < 65536) {
      int n = Libc.read(fd, buf);
      if (n == 0) {
        throw new SandboxException(
            "bwrap exited before reporting its sandbox (info-fd closed after \"" + b + "\")");
      }
      b.append(new String(buf, 0, n, StandardCharsets.UTF_8));
      if (b.indexOf("}") >= 0) {
        return b.toString();
      }
    }
    throw new SandboxException("bwrap info too long");
  }

  private void applyLimitsAsSandboxUser(int pid, SandboxSpec spec, Identity id) throws IOException {
    List<String> argv = new ArrayList<>(id.become(options.setpriv(), chrootIds));
    argv.addAll(List.of(options.prlimit().toString(), "--pid", String.valueOf(pid)));
    argv.addAll(RlimitLaunch.prlimitOptions(spec.limits()));
    int devNull = Libc.open("/dev/null", Libc.O_RDONLY, 0);
    int[] out = Libc.pipe();
    try {
      String[] av = argv.toArray(new String[0]);
      int[] fds = {devNull, out[1], out[1]};
      int helper =
          get(
              LAUNCHER.submit(
                  () -> Libc.spawn(av[0], av, new String[] {"PATH=/usr/bin:/bin"}, fds)));
      Libc.closeQuietly(out[1]);
      out[1] = -1;
      int code = Libc.exitCode(Libc.waitFor(helper));
      if (code != 0) {
        throw new SandboxException(
            "prlimit as the sandbox user on pid "
                + pid
                + " exited with "
                + code
                + ": "
                + new String(Libc.readAvailable(out[0], 4096), StandardCharsets.UTF_8).strip());
      }
    } finally {
      Libc.closeQuietly(devNull);
      Libc.closeQuietly(out[0]);
      Libc.closeQuietly(out[1]);
    }
  }
}
