package org.blvm.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;

/** CPU time of this process (every thread, the JIT and GC included) and of the calling thread. */
final class CpuTime {
  private static final com.sun.management.OperatingSystemMXBean OS =
      (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

  private CpuTime() {}

  /** User plus system CPU time of the whole process so far, in nanoseconds. */
  static long process() {
    long t = OS.getProcessCpuTime();
    if (t < 0) {
      throw new IllegalStateException("this JVM does not report its process CPU time");
    }
    return t;
  }

  /** User plus system CPU time of the calling thread so far, in nanoseconds. */
  static long currentThread() {
    return THREADS.getCurrentThreadCpuTime();
  }
}
