package org.blvm.loader;

import org.blvm.sandbox.ResourceLimits;

/**
 * The loader's own launch settings (builder settings): what a module runs with wherever its policy
 * writes no value. The loader's defaults live here and in {@link ResourceLimits#jvmDefaults()} /
 * {@link ResourceLimits#nativeDefaults()} (the kernel limits), nowhere else.
 *
 * @param javaProfile seccomp profile of JVM modules
 * @param nativeProfile seccomp profile of native modules
 * @param javaLimits kernel limits of JVM modules
 * @param nativeLimits kernel limits of native modules
 * @param heapMb JVM modules: the heap (-Xmx) in MiB
 * @param processors JVM modules: the CPU count the JVM sizes itself for (-XX:ActiveProcessorCount)
 */
record LaunchDefaults(
    String javaProfile,
    String nativeProfile,
    ResourceLimits javaLimits,
    ResourceLimits nativeLimits,
    int heapMb,
    int processors) {
  static final String PROFILE = "default";
  static final int HEAP_MB = 64;
  static final int PROCESSORS = 2;

  /** Every default: profile "default", the sandbox's limits, 64 MiB heap, 2 processors. */
  static LaunchDefaults standard() {
    return new LaunchDefaults(
        PROFILE,
        PROFILE,
        ResourceLimits.jvmDefaults(),
        ResourceLimits.nativeDefaults(),
        HEAP_MB,
        PROCESSORS);
  }
}
