package org.blvm.sandbox;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The resource limits of a sandbox launch: set on the sandbox's pid 1 through prlimit (or as
 * util-linux {@code prlimit}'s options for the launch's command line), and read back from {@code
 * /proc/PID/limits}, soft = hard, so that the program cannot raise them.
 */
final class RlimitLaunch {
  private RlimitLaunch() {}

  static final int CAP_SYS_RESOURCE = 24;

  /** Whether this process's effective capabilities hold {@code cap} (/proc/self/status). */
  static boolean hasCapability(int cap) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("CapEff:")) {
          return java.math.BigInteger.valueOf(Long.parseUnsignedLong(line.substring(7).trim(), 16))
              .testBit(cap);
        }
      }
    } catch (IOException | NumberFormatException e) {
      // unknown: treated as absent, which only chooses how limits are set, never whether
    }
    return false;
  }

  /**
   * prlimit on the sandbox's pid 1, then read back: soft = hard, so the program cannot raise them.
   */
  static void apply(int pid, ResourceLimits l) throws NativeException, SandboxException {
    set(pid, Libc.RLIMIT_NOFILE, "RLIMIT_NOFILE", l.openFiles());
    set(pid, Libc.RLIMIT_NPROC, "RLIMIT_NPROC", l.processes());
    set(pid, Libc.RLIMIT_CPU, "RLIMIT_CPU", l.cpuSeconds());
    set(pid, Libc.RLIMIT_FSIZE, "RLIMIT_FSIZE", l.fileSizeBytes());
    set(pid, Libc.RLIMIT_CORE, "RLIMIT_CORE", 0);
    if (l.addressSpaceBytes() > 0) {
      set(pid, Libc.RLIMIT_AS, "RLIMIT_AS", l.addressSpaceBytes());
    }
  }

  /** util-linux prlimit's options that set {@code l}, soft = hard. */
  static List<String> prlimitOptions(ResourceLimits l) {
    List<String> o =
        new ArrayList<>(
            List.of(
                "--nofile=" + l.openFiles() + ":" + l.openFiles(),
                "--nproc=" + l.processes() + ":" + l.processes(),
                "--cpu="
                    + ResourceLimits.text(l.cpuSeconds())
                    + ":"
                    + ResourceLimits.text(l.cpuSeconds()),
                "--fsize=" + l.fileSizeBytes() + ":" + l.fileSizeBytes(),
                "--core=0:0"));
    if (l.addressSpaceBytes() > 0) {
      o.add("--as=" + l.addressSpaceBytes() + ":" + l.addressSpaceBytes());
    }
    return o;
  }

  /** Reads the limits back from /proc/PID/limits: probe, apply, read back. */
  static void verify(int pid, ResourceLimits l) throws IOException {
    Map<String, Long> want = new java.util.LinkedHashMap<>();
    want.put("Max open files", l.openFiles());
    want.put("Max processes", l.processes());
    want.put("Max cpu time", l.cpuSeconds());
    want.put("Max file size", l.fileSizeBytes());
    want.put("Max core file size", 0L);
    if (l.addressSpaceBytes() > 0) {
      want.put("Max address space", l.addressSpaceBytes());
    }
    List<String> lines = Files.readAllLines(Path.of("/proc", Integer.toString(pid), "limits"));
    for (Map.Entry<String, Long> e : want.entrySet()) {
      String found = null;
      for (String line : lines) {
        if (line.startsWith(e.getKey() + " ")) {
          String[] f = line.substring(e.getKey().length()).trim().split("\\s+");
          found = f[0] + "/" + f[1];
        }
      }
      String expected = ResourceLimits.text(e.getValue()) + "/" + ResourceLimits.text(e.getValue());
      if (!expected.equals(found)) {
        throw new SandboxException(
            e.getKey() + " of sandbox pid " + pid + " is " + found + ", expected " + expected);
      }
    }
  }

  private static void set(int pid, int res, String name, long v)
      throws NativeException, SandboxException {
    long[] got = Libc.prlimit(pid, res, v, v);
    if (got[0] != v || got[1] != v) {
      throw new SandboxException(
          name
              + " of pid "
              + pid
              + " reads back "
              + got[0]
              + "/"
              + got[1]
              + ", expected "
              + v
              + "/"
              + v);
    }
  }
}
