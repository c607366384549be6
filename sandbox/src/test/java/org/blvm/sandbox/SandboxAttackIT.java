package org.blvm.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Attacks from inside a sandbox, each against one protection. The helper (src/test/c/blvm-try.c)
 * makes syscalls with bad arguments: allowed ones fail harmlessly, denied ones return the profile's
 * errno. Where the kernel could produce the same result, a control run without the filter shows the
 * result comes from the filter.
 */
class SandboxAttackIT {
  static final int EPERM = 1;
  static final int ENOENT = 2;
  static final int EBADF = 9;
  static final int EAGAIN = 11;
  static final int EFBIG = 27;
  static final int ENOSYS = 38;
  static final int EAFNOSUPPORT = 97;

  @TempDir Path tmp;
  Sandbox sandbox;
  Path data;
  Path bin;

  @BeforeEach
  void setUp() throws IOException {
    sandbox = Integration.sandbox();
    Files.setPosixFilePermissions(
        tmp, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
    sandbox.grantTraversal(tmp);
    data = Files.createDirectories(tmp.resolve("data/me"));
    sandbox.giveToSandbox(data, -1);
    bin = Files.createDirectories(tmp.resolve("bin"));
    Files.copy(Integration.helper(), bin.resolve("blvm-try"));
  }

  private SandboxSpec spec(Profile p, ResourceLimits l, boolean net, String... args) {
    return specAs(-1, p, l, net, args);
  }

  /** {@link #spec} run as host uid {@code uid} (-1: the sandbox user). */
  private SandboxSpec specAs(int uid, Profile p, ResourceLimits l, boolean net, String... args) {
    return new SandboxSpec(
        "try",
        SandboxSpec.Runtime.NATIVE,
        bin.resolve("blvm-try"),
        List.of(args),
        Map.of("HOME", data.toString()),
        List.of(bin),
        List.of(data),
        null,
        data,
        p,
        l,
        net,
        uid);
  }

  /** Runs to completion; returns [exit code, output]. */
  private Object[] run(SandboxSpec s) throws Exception {
    SandboxedProcess p = sandbox.start(s);
    // the output ends when every process of the sandbox has; read it as it comes (a full pipe
    // would stop the program), within the deadline
    CompletableFuture<String> out =
        CompletableFuture.supplyAsync(
            () -> {
              try (InputStream in = p.output()) {
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
              } catch (IOException e) {
                return "(reading the output failed: " + e + ")";
              }
            });
    int code = p.onExit().get(60, TimeUnit.SECONDS);
    return new Object[] {code, out.get(60, TimeUnit.SECONDS)};
  }

  private String out(SandboxSpec s) throws Exception {
    Object[] r = run(s);
    assertEquals(0, r[0], "exit code; output:\n" + r[1]);
    return (String) r[1];
  }

  private static Map<String, String> results(String out) {
    Map<String, String> m = new LinkedHashMap<>();
    for (String line : out.split("\n")) {
      String[] f = line.split(" ");
      if (f.length == 2) {
        m.put(f[0], f[1]);
      }
    }
    return m;
  }

  private static Profile permissive() throws ProfileException {
    return Profile.parse(
        "test:none",
        "{\"profile\":\"none\",\"description\":\"control\",\"default_action\":\"allow\","
            + "\"other_abis\":\"allow\",\"rules\":[]}");
  }

  static final Map<String, Integer> DENIED = new LinkedHashMap<>();

  static {
    for (String n :
        List.of(
            "ptrace",
            "mount",
            "umount2",
            "unshare",
            "setns",
            "keyctl",
            "add_key",
            "process_vm_readv",
            "ioctl_tiocsti",
            "ioctl_tiocsti_hi",
            "ioctl_tioclinux",
            "clone_newuser",
            "chroot",
            "pivot_root",
            "x32_mount",
            "x32_unshare",
            "x32_setns",
            "x32_keyctl",
            "x32_ptrace",
            "x32_process_vm_readv",
            "x32_getpid")) {
      DENIED.put(n, EPERM);
    }
    for (String n :
        List.of(
            "bpf",
            "userfaultfd",
            "perf_event_open",
            "clone3",
            "fsopen",
            "open_tree",
            "io_uring_setup")) {
      DENIED.put(n, ENOSYS);
    }
    for (String n :
        List.of(
            "socket_inet", "socket_inet_hi", "socket_inet6", "socket_netlink", "socket_packet")) {
      DENIED.put(n, EAFNOSUPPORT);
    }
  }

  @Test
  void deniedSyscalls_defaultProfile_returnProfileErrno_andWithoutFilterDoNot() throws Exception {
    Map<String, String> got =
        results(
            out(
                spec(
                    Profile.named("default"), ResourceLimits.nativeDefaults(), false, "syscalls")));
    Map<String, String> control =
        results(out(spec(permissive(), ResourceLimits.nativeDefaults(), false, "syscalls")));
    List<String> wrong = new ArrayList<>();
    for (Map.Entry<String, Integer> e : DENIED.entrySet()) {
      String want = String.valueOf(e.getValue());
      if (!want.equals(got.get(e.getKey()))) {
        wrong.add(e.getKey() + ": expected errno " + want + ", found " + got.get(e.getKey()));
      }
      // pivot_root: the kernel's own capability check also answers EPERM
      if (want.equals(control.get(e.getKey())) && !e.getKey().equals("pivot_root")) {
        wrong.add(
            e.getKey()
                + ": the unfiltered control also gives "
                + want
                + " (test not discriminating)");
      }
    }
    assertEquals(List.of(), wrong, "default profile\n" + got + "\ncontrol\n" + control);
    assertEquals("ok", got.get("socket_unix"));
    assertEquals("ok", got.get("getpid"));
    assertEquals(String.valueOf(EBADF), got.get("ioctl_tcgets"), "other ioctls stay allowed");
  }

  @Test
  void socketFamilies_networkGranted_inetAllowedOthersDenied() throws Exception {
    Map<String, String> got =
        results(
            out(spec(Profile.named("default"), ResourceLimits.nativeDefaults(), true, "syscalls")));
    assertEquals("ok", got.get("socket_inet"));
    assertEquals("ok", got.get("socket_inet6"));
    assertEquals("ok", got.get("socket_unix"));
    assertEquals(
        String.valueOf(EAFNOSUPPORT), got.get("socket_inet_hi"), "upper-half garbage fails closed");
    assertEquals(String.valueOf(EAFNOSUPPORT), got.get("socket_netlink"));
    assertEquals(String.valueOf(EAFNOSUPPORT), got.get("socket_packet"));
    assertEquals(String.valueOf(EPERM), got.get("ptrace"));
  }

  @Test
  void strictProfile_unlistedSyscallsDenied_programStillRuns() throws Exception {
    Map<String, String> got =
        results(
            out(spec(Profile.named("strict"), ResourceLimits.nativeDefaults(), false, "syscalls")));
    for (String n :
        List.of(
            "ptrace",
            "mount",
            "unshare",
            "setns",
            "keyctl",
            "bpf",
            "userfaultfd",
            "perf_event_open",
            "process_vm_readv",
            "ioctl_tiocsti",
            "ioctl_tiocsti_hi",
            "socket_inet",
            "socket_inet_hi",
            "socket_netlink",
            "clone_newuser",
            "x32_getpid",
            "x32_mount")) {
      assertEquals(String.valueOf(EPERM), got.get(n), n + " in " + got);
    }
    assertEquals(String.valueOf(ENOSYS), got.get("clone3"));
    assertEquals("ok", got.get("socket_unix"));
    assertEquals("ok", got.get("getpid"));
    String fds = out(spec(Profile.named("strict"), ResourceLimits.nativeDefaults(), false, "fds"));
    assertTrue(fds.contains("fd 0 /dev/null"), fds);
  }

  @Test
  void files_hostSecretsNodeDataOtherModules_invisible_writesOnlyInOwnData() throws Exception {
    Path nodeData = Files.createDirectories(tmp.resolve("data/node"));
    Files.writeString(nodeData.resolve("wallet.dat"), "secret");
    Path other = Files.createDirectories(tmp.resolve("data/other"));
    Files.writeString(other.resolve("state"), "secret");
    String o =
        out(
            spec(
                Profile.named("default"),
                ResourceLimits.nativeDefaults(),
                false,
                "files",
                "r:/etc/shadow",
                "r:/etc/passwd",
                "l:/etc",
                "r:" + nodeData.resolve("wallet.dat"),
                "r:" + other.resolve("state"),
                "l:" + tmp.resolve("data"),
                "l:/root",
                "l:/home",
                "w:" + data.resolve("mine"),
                "w:" + tmp.resolve("data/escape"),
                "w:" + bin.resolve("replaced"),
                "w:/usr/lib/evil",
                "w:/evil",
                "r:/etc/ld.so.cache",
                "w:/etc/passwd",
                "w:/etc/ld.so.cache",
                "w:/tmp/scratch"));
    assertTrue(o.contains("read /etc/shadow " + ENOENT), o);
    // /etc holds only what the sandbox synthesised or bound (no shadow, passwd is the synthetic
    // one)
    assertTrue(o.contains("read /etc/passwd ok"), o);
    assertFalse(o.contains("ls /etc shadow"), o);
    assertTrue(o.contains("read " + nodeData.resolve("wallet.dat") + " " + ENOENT), o);
    assertTrue(o.contains("read " + other.resolve("state") + " " + ENOENT), o);
    assertTrue(
        o.contains("ls " + tmp.resolve("data") + " me\nls " + tmp.resolve("data") + " end"), o);
    assertTrue(o.contains("write " + data.resolve("mine") + " ok"), o);
    // the path exists only in the sandbox's private, size-bounded /tmp: never on the host
    assertFalse(Files.exists(tmp.resolve("data/escape")), "escaped onto the host");
    assertFalse(o.contains("write " + bin.resolve("replaced") + " ok"), o);
    assertFalse(o.contains("write /usr/lib/evil ok"), o);
    assertTrue(o.contains("write /evil 30"), "the sandbox root is read-only (EROFS)\n" + o);
    // /etc's files are copies in that root (no bind each): readable, never writable, not even by
    // the sandbox's uid, which owns them
    assertTrue(o.contains("read /etc/ld.so.cache ok"), o);
    assertTrue(o.contains("write /etc/passwd 30"), o);
    assertTrue(o.contains("write /etc/ld.so.cache 30"), o);
    assertTrue(Files.exists(data.resolve("mine")));
    assertFalse(Files.exists(tmp.resolve("data/escape")));
    assertFalse(
        Files.exists(Path.of("/tmp/scratch"))
            && Files.getLastModifiedTime(Path.of("/tmp/scratch")).toMillis()
                > System.currentTimeMillis() - 60_000);
  }

  @Test
  void tcpToLoopbackListener_withoutNetwork_refused_withNetwork_connects() throws Exception {
    try (ServerSocket listener = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
      String port = String.valueOf(listener.getLocalPort());
      String denied =
          out(spec(Profile.named("default"), ResourceLimits.nativeDefaults(), false, "tcp", port));
      assertTrue(denied.contains("tcp socket " + EAFNOSUPPORT), denied);
      // without seccomp the empty network namespace still has no route to the host's listener
      String isolated =
          out(spec(permissive(), ResourceLimits.nativeDefaults(), false, "tcp", port));
      assertTrue(
          isolated.startsWith("tcp connect ") && !isolated.contains("tcp connect ok"), isolated);
      String granted =
          out(spec(Profile.named("default"), ResourceLimits.nativeDefaults(), true, "tcp", port));
      assertTrue(granted.contains("tcp connect ok"), granted);
    }
  }

  @Test
  void fdsInsideSandbox_onlyStdio() throws Exception {
    String o = out(spec(Profile.named("default"), ResourceLimits.nativeDefaults(), false, "fds"));
    List<String> fds = new ArrayList<>();
    for (String line : o.split("\n")) {
      if (line.startsWith("fd ")) {
        fds.add(line.split(" ")[1]);
      }
    }
    assertEquals(List.of("0", "1", "2"), fds, o);
  }

  @Test
  void limits_appliedBeforeTheProgramRuns_andUidIsUnprivileged() throws Exception {
    ResourceLimits l = new ResourceLimits(77, 33, 55, 12345678, 400L << 20);
    Map<String, String> lines = new LinkedHashMap<>();
    for (String line : out(spec(Profile.named("default"), l, false, "limits")).split("\n")) {
      String[] f = line.split(" ", 2);
      if (f[0].equals("limit")) {
        lines.put(f[1].split(" ")[0], f[1].substring(f[1].indexOf(' ') + 1));
      } else if (f[0].equals("uid")) {
        lines.put("uid", f[1]);
      }
    }
    assertEquals("77 77", lines.get("nofile"));
    assertEquals("33 33", lines.get("nproc"));
    assertEquals("55 55", lines.get("cpu"));
    assertEquals("12345678 12345678", lines.get("fsize"));
    assertEquals("0 0", lines.get("core"));
    assertEquals((400L << 20) + " " + (400L << 20), lines.get("as"));
    assertNotEquals("0", lines.get("uid"), "sandbox runs as host root");
    assertEquals(String.valueOf(sandbox.hostUid()), lines.get("uid"));
  }

  @Test
  void limits_cpuUnlimited_setToInfinityBeforeTheProgramRuns() throws Exception {
    ResourceLimits l = ResourceLimits.nativeDefaults().withCpuSeconds(ResourceLimits.UNLIMITED);
    String o = out(spec(Profile.named("default"), l, false, "limits"));
    // RLIM_INFINITY printed as a signed long long by the helper
    assertTrue(o.contains("limit cpu -1 -1\n"), o);
    assertTrue(o.contains("limit nofile 256 256\n"), o);
  }

  @Test
  void forkBomb_stoppedByProcessLimit() throws Exception {
    // RLIMIT_NPROC counts every process of the real uid: under the shared sandbox user, sandboxes
    // run meanwhile by others would use up part of the 20. As root the bomb runs, as the loader
    // runs a module, as a module uid of its own, one nothing else runs as
    int uid = idleModuleUid();
    if (uid >= 0) {
      sandbox.giveToSandbox(data, uid);
    }
    String o =
        out(
            specAs(
                uid,
                Profile.named("default"),
                ResourceLimits.nativeDefaults().withProcesses(20),
                false,
                "forkbomb"));
    assertTrue(o.contains("forkbomb stopped after") && o.contains("errno " + EAGAIN), o);
    int n = Integer.parseInt(o.replaceAll("(?s).*stopped after (\\d+).*", "$1"));
    // it could fork (so EAGAIN is the limit, not a failure to fork at all), and not past the limit
    assertTrue(n > 0 && n < 20, o);
  }

  /**
   * As root with a module uid range: a uid of the range that no account names and no process runs
   * as now, picked at random (never the range's last, which the preflight's probe uses); otherwise
   * -1, the sandbox user (an unprivileged loader's sandboxes count processes in their own user
   * namespace, docs/sandbox.md).
   */
  private static int idleModuleUid() throws IOException {
    UidRange r = SandboxOptions.defaults().moduleUids();
    if (Libc.geteuid() != 0 || r == null) {
      return -1;
    }
    Set<Integer> busy = new HashSet<>();
    for (String f : new String[] {"/etc/passwd", "/etc/group"}) {
      for (String line : Files.readAllLines(Path.of(f))) {
        String[] c = line.split(":", -1);
        for (int i = 2; i < Math.min(c.length, 4); i++) {
          if (c[i].matches("\\d{1,9}")) {
            busy.add(Integer.parseInt(c[i]));
          }
        }
      }
    }
    try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
      for (Path proc : procs) {
        try {
          for (String line : Files.readAllLines(proc.resolve("status"))) {
            if (line.startsWith("Uid:")) {
              busy.add(Integer.parseInt(line.split("\\s+")[1]));
            }
          }
        } catch (IOException e) {
          // ended meanwhile
        }
      }
    }
    List<Integer> idle = new ArrayList<>();
    for (int u = r.first(); u < r.last(); u++) {
      if (!busy.contains(u)) {
        idle.add(u);
      }
    }
    assertFalse(idle.isEmpty(), "every uid of " + r + " is in use");
    return idle.get(ThreadLocalRandom.current().nextInt(idle.size()));
  }

  @Test
  void memoryBomb_stoppedByAddressSpaceLimit() throws Exception {
    String o =
        out(
            spec(
                Profile.named("default"),
                ResourceLimits.nativeDefaults().withAddressSpaceBytes(256L << 20),
                false,
                "membomb"));
    assertTrue(o.contains("membomb stopped at"), o);
    int mb = Integer.parseInt(o.replaceAll("(?s).*stopped at (\\d+).*", "$1"));
    assertTrue(mb < 256, o);
  }

  @Test
  void cpuSpinner_killedAtCpuLimit() throws Exception {
    long t0 = System.nanoTime();
    Object[] r =
        run(
            spec(
                Profile.named("default"),
                ResourceLimits.nativeDefaults().withCpuSeconds(1),
                false,
                "spin"));
    long ms = (System.nanoTime() - t0) / 1_000_000;
    int code = (Integer) r[0];
    assertTrue(code == 128 + 9 || code == 128 + 24, "exit " + code + " " + r[1]);
    assertTrue(ms < 15_000, "took " + ms + " ms");
  }

  @Test
  void fileOverSizeLimit_cannotBeWritten() throws Exception {
    String o =
        out(
            spec(
                Profile.named("default"),
                ResourceLimits.nativeDefaults().withFileSizeBytes(1 << 20),
                false,
                "bigfile",
                data.resolve("big").toString(),
                String.valueOf(4 << 20)));
    assertTrue(o.contains("bigfile stopped at " + (1 << 20) + " errno " + EFBIG), o);
    assertEquals(1 << 20, Files.size(data.resolve("big")));
  }

  @Test
  void jvm_startsUnderDefaultProfile_clone3Enosys() throws Exception {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    SandboxSpec s =
        new SandboxSpec(
            "jvm",
            SandboxSpec.Runtime.JAVA,
            java,
            List.of("-XX:+UseSerialGC", "-version"),
            Map.of("HOME", data.toString()),
            List.of(),
            List.of(data),
            null,
            data,
            Profile.named("default"),
            ResourceLimits.jvmDefaults(),
            false,
            -1);
    Object[] r = run(s);
    assertEquals(0, r[0], (String) r[1]);
    assertTrue(((String) r[1]).contains("version"), (String) r[1]);
  }

  @Test
  void environment_reachesTheProgram_butNoCommandLineOnTheHost() throws Exception {
    String secret =
        java.util.HexFormat.of().formatHex(new java.security.SecureRandom().generateSeed(16));
    SandboxSpec base = spec(Profile.named("default"), ResourceLimits.nativeDefaults(), false);
    SandboxSpec s =
        new SandboxSpec(
            base.name(),
            base.runtime(),
            base.executable(),
            List.of("getenv", "BLVM_TOKEN"),
            Map.of("HOME", data.toString(), "BLVM_TOKEN", secret),
            base.readOnly(),
            base.readWrite(),
            null,
            base.workDir(),
            base.profile(),
            base.limits(),
            false,
            -1);
    SandboxedProcess p = sandbox.start(s);
    try {
      BufferedReader r =
          new BufferedReader(new InputStreamReader(p.output(), StandardCharsets.UTF_8));
      assertEquals(
          "env BLVM_TOKEN " + secret,
          CompletableFuture.supplyAsync(
                  () -> {
                    try {
                      return r.readLine();
                    } catch (IOException e) {
                      return e.toString();
                    }
                  })
              .get(20, TimeUnit.SECONDS));
      List<String> seen = new ArrayList<>();
      try (DirectoryStream<Path> ds = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
        for (Path d : ds) {
          try {
            String cmd = new String(Files.readAllBytes(d.resolve("cmdline")), "UTF-8");
            if (cmd.contains(secret)) {
              seen.add(d + ": " + cmd.replace('\0', ' '));
            }
          } catch (IOException gone) {
            // the process ended meanwhile
          }
        }
      }
      assertEquals(List.of(), seen, "the secret on a command line");
      String bwrapCmd =
          new String(
              Files.readAllBytes(Path.of("/proc", Long.toString(p.pid()), "cmdline")), "UTF-8");
      assertTrue(bwrapCmd.contains("--args"), "bwrap reads its environment from a descriptor");
    } finally {
      p.kill();
      p.onExit().get(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void bwrapItself_runsWithPathOnly_noLocale() throws Exception {
    SandboxedProcess p =
        sandbox.start(
            spec(Profile.named("default"), ResourceLimits.nativeDefaults(), false, "sleep"));
    try {
      // bwrap (and the prlimit and setpriv it was exec'd through) got this environment; with a
      // LANG each of them would load the locale's files at every launch
      String environ =
          new String(
              Files.readAllBytes(Path.of("/proc", Long.toString(p.pid()), "environ")),
              StandardCharsets.UTF_8);
      assertEquals("PATH=/usr/bin:/bin\0", environ);
    } finally {
      p.kill();
      p.onExit().get(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void isInside_acceptsSandboxProcessOnly() throws Exception {
    SandboxedProcess p =
        sandbox.start(
            spec(Profile.named("default"), ResourceLimits.nativeDefaults(), false, "sleep"));
    try {
      long inner = -1;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (inner < 0 && System.nanoTime() < deadline) {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
          for (Path d : ds) {
            long q = Long.parseLong(d.getFileName().toString());
            if (q != p.sandboxInitPid()
                && ("pid:[" + p.pidNamespace() + "]").equals(BwrapProcess.pidNamespaceOf(q))) {
              inner = q;
            }
          }
        }
        Thread.sleep(20);
      }
      assertTrue(inner > 0, "no process found in the sandbox's pid namespace");
      assertTrue(p.isInside(inner));
      assertFalse(p.isInside(ProcessHandle.current().pid()), "the loader itself");
      assertFalse(p.isInside(p.pid()), "bwrap outside the namespace");
      assertFalse(p.isInside(1));
    } finally {
      p.kill();
      assertEquals(128 + 9, (int) p.onExit().get(10, TimeUnit.SECONDS));
    }
  }
}
