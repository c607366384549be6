package org.blvm.sandbox;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Startup checks, each a probe of the real feature, all failures collected: bwrap, libc
 * (posix_spawn closefrom, prlimit, memfd), libseccomp, the kernel's seccomp, user namespaces, the
 * sandbox user, and finally an end-to-end probe sandbox running /usr/bin/true with every layer on.
 */
final class Preflight {
  private Preflight() {}

  static PreflightReport run(SandboxOptions o) {
    List<String> problems = new ArrayList<>();
    List<String> notices = new ArrayList<>();
    if (!Files.isExecutable(o.bwrap())) {
      problems.add(
          "bubblewrap not found at " + o.bwrap() + ": install it (apt-get install -y bubblewrap)");
    }
    boolean natives = true;
    try {
      Libc.requireSymbols();
    } catch (UnsatisfiedLinkError | NoClassDefFoundError e) {
      natives = false;
      problems.add(
          "libc lacks posix_spawn_file_actions_addclosefrom_np/prlimit/memfd_create (glibc >= 2.34"
              + " needed): "
              + e.getMessage());
    }
    try {
      Seccomp.requireLibrary();
    } catch (UnsatisfiedLinkError | NoClassDefFoundError e) {
      natives = false;
      problems.add(
          "libseccomp not loadable: install it (apt-get install -y libseccomp2): "
              + e.getMessage());
    }
    String seccompLine = grep(Path.of("/proc/self/status"), "Seccomp:");
    if (seccompLine == null) {
      problems.add(
          "the kernel has no seccomp (CONFIG_SECCOMP_FILTER): use a kernel with it enabled");
    }
    String maxNs = read(Path.of("/proc/sys/user/max_user_namespaces"));
    if ("0".equals(maxNs)) {
      problems.add("user namespaces are disabled: sysctl -w user.max_user_namespaces=15000");
    }
    if ("0".equals(read(Path.of("/proc/sys/kernel/unprivileged_userns_clone")))) {
      problems.add(
          "unprivileged user namespaces are disabled: sysctl -w kernel.unprivileged_userns_clone=1");
    }
    if ("1".equals(read(Path.of("/proc/sys/kernel/apparmor_restrict_unprivileged_userns")))) {
      problems.add(
          "AppArmor restricts unprivileged user namespaces (Ubuntu >= 23.10): add an AppArmor"
              + " profile for "
              + o.bwrap()
              + " with 'userns,' or sysctl -w kernel.apparmor_restrict_unprivileged_userns=0");
    }
    BubblewrapSandbox sandbox = null;
    if (natives) {
      if (Libc.geteuid() == 0) {
        for (Path tool : List.of(o.setpriv(), o.prlimit())) {
          if (!Files.isExecutable(tool)) {
            problems.add("running as root needs " + tool + " (apt-get install -y util-linux)");
          }
        }
      }
      try {
        sandbox = BubblewrapSandbox.create(o);
      } catch (SandboxException e) {
        problems.add(e.getMessage());
      }
      try {
        Profile.named("default");
        Profile.named("strict");
      } catch (ProfileException e) {
        problems.add(e.getMessage());
      }
    }
    cgroupNotice(notices);
    if (problems.isEmpty() && sandbox != null) {
      probe(sandbox, -1, problems);
      if (problems.isEmpty() && sandbox.moduleUids().isPresent()) {
        // the host (a container's user namespace) must let root become the range's ids
        UidRange r = sandbox.moduleUids().get();
        probe(sandbox, r.last(), problems);
        if (!problems.isEmpty()) {
          problems.add(
              "sandboxes cannot run as uid "
                  + r.last()
                  + " of the module uid range "
                  + r
                  + ": choose a range the host maps (-Dblvm.sandboxUids=FIRST-LAST), or none for"
                  + " one shared sandbox user (-Dblvm.sandboxUids=none)");
        }
      }
    }
    return new PreflightReport(problems, notices);
  }

  /**
   * Runs /usr/bin/true with every layer on: namespaces, seccomp, prlimit, block-fd, user switch.
   */
  private static void probe(BubblewrapSandbox sandbox, int uid, List<String> problems) {
    Path log = null;
    try {
      log = Files.createTempFile("blvm-preflight", ".log");
      Path work = Path.of("/");
      SandboxSpec spec =
          new SandboxSpec(
              "preflight",
              SandboxSpec.Runtime.NATIVE,
              Path.of("/usr/bin/true"),
              List.of(),
              Map.of(),
              List.of(Path.of("/usr/bin/true")),
              List.of(),
              null,
              work,
              Profile.named("default"),
              ResourceLimits.nativeDefaults(),
              false,
              log,
              uid);
      SandboxedProcess p = sandbox.start(spec);
      Integer code = p.onExit().get(20, TimeUnit.SECONDS);
      if (code != 0) {
        problems.add(
            "a probe sandbox running /usr/bin/true exited with "
                + code
                + ": "
                + Files.readString(log).strip());
      }
    } catch (Exception e) {
      String out = "";
      try {
        out = log == null ? "" : Files.readString(log).strip();
      } catch (IOException ignored) {
        // best effort
      }
      problems.add("a probe sandbox could not run /usr/bin/true: " + e.getMessage() + " " + out);
    } finally {
      if (log != null) {
        try {
          Files.deleteIfExists(log);
        } catch (IOException ignored) {
          // best effort
        }
      }
    }
  }

  private static void cgroupNotice(List<String> notices) {
    String cg = read(Path.of("/proc/self/cgroup"));
    boolean v2 = Files.exists(Path.of("/sys/fs/cgroup/cgroup.controllers"));
    boolean delegated = false;
    if (v2 && cg != null && cg.startsWith("0::")) {
      Path dir = Path.of("/sys/fs/cgroup" + cg.substring(3).strip());
      delegated = Files.isWritable(dir.resolve("cgroup.subtree_control"));
    }
    if (!delegated) {
      notices.add(
          "no delegated cgroup v2 subtree (cgroup "
              + (v2 ? "v2 without delegation" : "v1 or hybrid")
              + "): memory.max and pids.max are not applied; sandboxes are bounded by rlimits only"
              + " (RLIMIT_AS, RLIMIT_NPROC, RLIMIT_CPU, RLIMIT_FSIZE, RLIMIT_NOFILE)");
    }
  }

  private static String read(Path p) {
    try {
      return Files.readString(p).strip();
    } catch (IOException e) {
      return null;
    }
  }

  private static String grep(Path p, String prefix) {
    try {
      for (String l : Files.readAllLines(p)) {
        if (l.startsWith(prefix)) {
          return l;
        }
      }
    } catch (IOException e) {
      return null;
    }
    return null;
  }
}
