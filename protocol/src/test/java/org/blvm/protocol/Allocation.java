package org.blvm.protocol;

import java.lang.reflect.Method;

/**
 * The bytes the current thread allocated, for fuzz targets that assert decoding allocates in
 * proportion to its input: a length or count the input merely claims must never be allocated up
 * front. The bound is {@link #PER_INPUT_BYTE} per input byte plus {@link #FIXED} (exceptions with
 * their stack traces, a few small buffers).
 */
final class Allocation {
  /** Heap bytes a decoder may allocate per byte of input (tree nodes are tens of bytes each). */
  static final long PER_INPUT_BYTE = 128;

  /** Allocation allowed whatever the input's size. */
  static final long FIXED = 256 * 1024;

  /**
   * {@code com.sun.management.ThreadMXBean#getCurrentThreadAllocatedBytes}, looked up by name: the
   * tests are compiled into the module under test, which does not read the management modules.
   */
  private static final Object THREADS;

  private static final Method ALLOCATED;

  static {
    try {
      THREADS =
          Class.forName("java.lang.management.ManagementFactory")
              .getMethod("getThreadMXBean")
              .invoke(null);
      ALLOCATED =
          Class.forName("com.sun.management.ThreadMXBean")
              .getMethod("getCurrentThreadAllocatedBytes");
      current(); // fails here, not in a target, on a JVM without the measurement
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private Allocation() {}

  private static long current() {
    try {
      return (long) ALLOCATED.invoke(THREADS);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("cannot read the thread's allocated bytes", e);
    }
  }

  /**
   * Runs {@code action} and fails when it allocated more than the bound for {@code inputBytes}. An
   * action over the bound runs once more before it fails: the first run of a path loads and
   * instruments classes, which allocates on this thread too, while an allocation that depends on
   * the input repeats.
   */
  static void check(String what, long inputBytes, Runnable action) {
    long bound = FIXED + PER_INPUT_BYTE * inputBytes;
    long used = measure(action);
    if (used > bound) {
      used = measure(action);
    }
    if (used > bound) {
      throw new AssertionError(
          what
              + " allocated "
              + used
              + " bytes for "
              + inputBytes
              + " input bytes; the bound is "
              + bound);
    }
  }

  private static long measure(Runnable action) {
    long before = current();
    action.run();
    return current() - before;
  }
}
