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
    try {
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
              Path.of("/"),
              Profile.named("default"),
              ResourceLimits.nativeDefaults(),
              false,
              uid);
      SandboxedProcess p = sandbox.start(spec);
      try (java.io.InputStream in = p.output()) {
        Integer code;
        try {
          // a few bytes of output at most, which the pipe holds: no reader needed meanwhile
          code = p.onExit().get(20, TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
          p.kill();
          problems.add("a probe sandbox running /usr/bin/true did not end within 20 s");
          return;
        }
        if (code != 0) {
          // every process of the sandbox has ended: the read ends at once
          String out =
              new String(in.readNBytes(65536), java.nio.charset.StandardCharsets.UTF_8).strip();
          problems.add("a probe sandbox running /usr/bin/true exited with " + code + ": " + out);
        }
      }
    } catch (Exception e) {
      problems.add("a probe sandbox could not run /usr/bin/true: " + e.getMessage());
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
