package org.blvm.sandbox;

/**
 * Kernel resource limits of one sandbox, applied with prlimit to the sandbox's pid 1 before the
 * program runs (soft = hard, so the program cannot raise them). Zero means "not limited" for {@code
 * addressSpaceBytes} only (RLIMIT_AS is then left as inherited); {@code cpuSeconds} may be {@link
 * #UNLIMITED}, which sets RLIMIT_CPU to the kernel's RLIM_INFINITY; every other limit is always
 * applied with a finite value. A JVM's heap and processor count are options of its command line,
 * which the caller writes (the sandbox adds no program arguments).
 *
 * @param openFiles RLIMIT_NOFILE
 * @param processes RLIMIT_NPROC: processes and threads of the sandbox's uid (a JVM starts ~20)
 * @param cpuSeconds RLIMIT_CPU: SIGXCPU then SIGKILL when used up; {@link #UNLIMITED} for none
 * @param fileSizeBytes RLIMIT_FSIZE: largest file the program may write
 * @param addressSpaceBytes RLIMIT_AS, or 0 for none
 */
public record ResourceLimits(
    long openFiles, long processes, long cpuSeconds, long fileSizeBytes, long addressSpaceBytes) {
  /** RLIM_INFINITY as Java sees it (the kernel's all-ones value): allowed for cpuSeconds only. */
  public static final long UNLIMITED = -1L;

  public ResourceLimits {
    positive("openFiles", openFiles);
    positive("processes", processes);
    if (cpuSeconds != UNLIMITED) {
      positive("cpuSeconds", cpuSeconds);
    }
    positive("fileSizeBytes", fileSizeBytes);
    if (addressSpaceBytes < 0) {
      throw new IllegalArgumentException(
          "addressSpaceBytes must be >= 0, found " + addressSpaceBytes);
    }
  }

  /**
   * Defaults for a JVM program, and the loader's for JVM modules: 256 files, 96 processes and
   * threads, 1 h CPU, 256 MiB files, no address-space limit (a JVM reserves far more address space
   * than it uses; its heap is bounded by -Xmx instead).
   */
  public static ResourceLimits jvmDefaults() {
    return new ResourceLimits(256, 96, 3600, 256L << 20, 0);
  }

  /**
   * Defaults for a native program, and the loader's for native modules: 256 files, 32 processes and
   * threads, 1 h CPU, 256 MiB files, 512 MiB address space.
   */
  public static ResourceLimits nativeDefaults() {
    return new ResourceLimits(256, 32, 3600, 256L << 20, 512L << 20);
  }

  public ResourceLimits withProcesses(long n) {
    return new ResourceLimits(openFiles, n, cpuSeconds, fileSizeBytes, addressSpaceBytes);
  }

  public ResourceLimits withOpenFiles(long n) {
    return new ResourceLimits(n, processes, cpuSeconds, fileSizeBytes, addressSpaceBytes);
  }

  /** {@link #UNLIMITED}: no CPU-time limit. */
  public ResourceLimits withCpuSeconds(long s) {
    return new ResourceLimits(openFiles, processes, s, fileSizeBytes, addressSpaceBytes);
  }

  public ResourceLimits withFileSizeBytes(long b) {
    return new ResourceLimits(openFiles, processes, cpuSeconds, b, addressSpaceBytes);
  }

  public ResourceLimits withAddressSpaceBytes(long b) {
    return new ResourceLimits(openFiles, processes, cpuSeconds, fileSizeBytes, b);
  }

  private static void positive(String name, long v) {
    if (v <= 0) {
      throw new IllegalArgumentException(name + " must be > 0, found " + v);
    }
  }

  /** A limit as prlimit(1) and /proc/PID/limits write it. */
  static String text(long v) {
    return v == UNLIMITED ? "unlimited" : Long.toString(v);
  }
}
