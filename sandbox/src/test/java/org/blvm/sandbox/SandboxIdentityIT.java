package org.blvm.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The host identity bwrap runs as, read from the host's {@code /proc/PID/status} of the launched
 * process: as root, real, effective, saved and filesystem uid and gid are the sandbox's, and the
 * supplementary groups are exactly the shared sandbox group for a module uid and none for the
 * sandbox user itself. Unprivileged, the loader's own uid.
 */
class SandboxIdentityIT {
  @TempDir Path tmp;

  @Test
  void sandboxUser_allIdsItsOwn_noSupplementaryGroup() throws Exception {
    Sandbox sandbox = Integration.sandbox();
    boolean root = Libc.geteuid() == 0;
    Map<String, String> s = status(sandbox, -1);
    int uid = root ? sandbox.hostUid() : Libc.geteuid();
    assertEquals(four(uid), s.get("Uid"), s.toString());
    if (root) {
      assertEquals(four(sandbox.hostGid()), s.get("Gid"), s.toString());
      assertEquals("", s.get("Groups"), s.toString());
    }
  }

  @Test
  void moduleUid_allIdsItsOwn_onlyTheSharedGroup() throws Exception {
    Sandbox sandbox = Integration.sandbox();
    if (sandbox.moduleUids().isEmpty()) {
      return; // unprivileged: no module uids to switch to (the test above covers the launch)
    }
    int uid = sandbox.moduleUids().get().last();
    Map<String, String> s = status(sandbox, uid);
    assertEquals(four(uid), s.get("Uid"), s.toString());
    assertEquals(four(uid), s.get("Gid"), s.toString());
    assertEquals(Integer.toString(sandbox.hostGid()), s.get("Groups"), s.toString());
  }

  @Test
  void asRoot_launchesLeaveTheCallerTheProcessAndItsOtherThreadsTheirIds() throws Exception {
    Sandbox sandbox = Integration.sandbox();
    if (Libc.geteuid() != 0) {
      return; // no identity change without root
    }
    String before = ids(Path.of("/proc/self/status")) + ids(Path.of("/proc/thread-self/status"));
    status(sandbox, -1);
    if (sandbox.moduleUids().isPresent()) {
      status(sandbox, sandbox.moduleUids().get().first());
    }
    // the ids change on the sandbox's launcher thread only: this thread, the process's main
    // thread and their capabilities are as before
    assertEquals(
        before, ids(Path.of("/proc/self/status")) + ids(Path.of("/proc/thread-self/status")));
    assertTrue(before.contains("Uid: 0 0 0 0\n"), before);
    // no thread but the launcher threads took other ids (a thread inherits its creator's)
    try (java.util.stream.Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
      for (Path t : (Iterable<Path>) tasks::iterator) {
        String comm;
        String ids;
        try {
          comm = Files.readString(t.resolve("comm")).strip();
          ids = ids(t.resolve("status"));
        } catch (java.nio.file.NoSuchFileException gone) {
          continue; // a thread that ended meanwhile
        }
        assertTrue(
            ids.contains("Uid: 0 0 0 0\n") || comm.startsWith("blvm-sandbox-la"),
            comm + ": " + ids);
      }
    }
  }

  @Test
  void aLauncherThread_cannotTakeRootBack_andOneWhoseChangeFailedRunsNothing() throws Exception {
    Integration.sandbox();
    if (Libc.geteuid() != 0 || !IdentityThreads.available()) {
      return; // no identity change without root
    }
    IdentityThreads threads = new IdentityThreads();
    BubblewrapSandbox.Identity id = new BubblewrapSandbox.Identity(60997, 60997, true, 60996);
    String status =
        threads.call(id, "test", () -> Files.readString(Path.of("/proc/thread-self/status")));
    assertTrue(ids(status).contains("Uid: 60997 60997 60997 60997\n"), status);
    assertTrue(ids(status).contains("Groups: 60996\n"), status);
    assertTrue(ids(status).contains("CapEff: 0000000000000000\n"), status);
    NativeException back =
        assertThrows(
            NativeException.class,
            () ->
                threads.call(
                    id,
                    "test",
                    () -> {
                      Libc.becomeOnThisThread(0, 0, new int[0]);
                      return null;
                    }));
    assertEquals(1, back.errno(), back.getMessage()); // EPERM
    // uid -1 leaves the ids as they are: the change is read back incomplete, and nothing runs on
    // that thread, then or later
    BubblewrapSandbox.Identity bad = new BubblewrapSandbox.Identity(-1, -1, true, -1);
    java.util.concurrent.atomic.AtomicBoolean ran = new java.util.concurrent.atomic.AtomicBoolean();
    for (int i = 0; i < 2; i++) {
      assertThrows(
          SandboxException.class,
          () ->
              threads.call(
                  bad,
                  "test",
                  () -> {
                    ran.set(true);
                    return null;
                  }));
    }
    assertFalse(ran.get());
  }

  /** The Uid, Gid, Groups and CapEff lines of a status text, whitespace collapsed. */
  private static String ids(String status) {
    StringBuilder b = new StringBuilder();
    for (String line : status.split("\n")) {
      if (line.matches("^(Uid|Gid|Groups|CapEff|CapPrm):.*")) {
        b.append(line.replaceAll("\\s+", " ").strip()).append('\n');
      }
    }
    return b.toString();
  }

  /** The Uid, Gid, Groups and CapEff lines of a status file, whitespace collapsed. */
  private static String ids(Path status) throws Exception {
    return ids(Files.readString(status));
  }

  @Test
  void chrootAndSetprivForms_becomeTheSameIds_andAFailedChangeRunsNothing() throws Exception {
    Sandbox sandbox = Integration.sandbox();
    if (Libc.geteuid() != 0) {
      return; // no identity change without root
    }
    SandboxOptions o = SandboxOptions.defaults();
    int shared = sandbox.hostGid();
    for (BubblewrapSandbox.Identity id :
        List.of(
            new BubblewrapSandbox.Identity(sandbox.hostUid(), shared, true, shared),
            new BubblewrapSandbox.Identity(60998, 60998, true, shared))) {
      String viaChroot = ids(id.become(o.setpriv(), true));
      assertEquals(ids(id.become(o.setpriv(), false)), viaChroot, id.toString());
      String groups = id.gid() == shared ? "" : " " + shared;
      assertEquals(
          "Uid: " + four(id.uid()) + "\nGid: " + four(id.gid()) + "\nGroups:" + groups + "\n",
          viaChroot);
    }
    // without the right to change ids (here: already an unprivileged uid), chroot exits non-zero
    // and never runs the rest of the line
    List<String> cmd =
        new java.util.ArrayList<>(
            List.of(o.setpriv().toString(), "--reuid=65534", "--regid=65534", "--clear-groups"));
    cmd.add("--");
    cmd.addAll(new BubblewrapSandbox.Identity(60998, 60998, true, shared).become(null, true));
    cmd.add("/usr/bin/true");
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    p.getInputStream().readAllBytes();
    assertTrue(p.waitFor(30, TimeUnit.SECONDS));
    assertNotEquals(0, p.exitValue());
  }

  /** The Uid, Gid and Groups lines of a process started through {@code change}. */
  private static String ids(List<String> change) throws Exception {
    List<String> cmd = new java.util.ArrayList<>(change);
    cmd.addAll(List.of("/usr/bin/grep", "-E", "^(Uid|Gid|Groups):", "/proc/self/status"));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(30, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue(), out);
    return out.replaceAll("[ \t]+", " ").replace(" \n", "\n");
  }

  private static String four(int id) {
    return id + " " + id + " " + id + " " + id;
  }

  /** Uid, Gid and Groups of the launched bwrap, whitespace collapsed. */
  private Map<String, String> status(Sandbox sandbox, int uid) throws Exception {
    Path dir = Files.createDirectory(tmp.resolve("u" + uid));
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
    sandbox.grantTraversal(tmp);
    sandbox.grantTraversal(dir);
    Path data = Files.createDirectories(dir.resolve("data"));
    sandbox.giveToSandbox(data, uid);
    Path bin = Files.createDirectories(dir.resolve("bin"));
    Files.copy(Integration.helper(), bin.resolve("blvm-try"));
    SandboxSpec spec =
        new SandboxSpec(
            "identity",
            SandboxSpec.Runtime.NATIVE,
            bin.resolve("blvm-try"),
            List.of("sleep"),
            Map.of(),
            List.of(bin),
            List.of(data),
            null,
            data,
            Profile.named("default"),
            ResourceLimits.nativeDefaults(),
            false,
            uid);
    SandboxedProcess p = sandbox.start(spec);
    try {
      Map<String, String> out = new java.util.HashMap<>();
      for (String line : Files.readAllLines(Path.of("/proc", Long.toString(p.pid()), "status"))) {
        int colon = line.indexOf(':');
        if (colon > 0 && List.of("Uid", "Gid", "Groups").contains(line.substring(0, colon))) {
          out.put(
              line.substring(0, colon), line.substring(colon + 1).trim().replaceAll("\\s+", " "));
        }
      }
      return out;
    } finally {
      p.kill();
      p.onExit().get(10, TimeUnit.SECONDS);
    }
  }
}
