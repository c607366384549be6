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
 * @param dataMb the total size of a module's data directory in MiB ({@code data_mb})
 * @param dataFiles the entries a module's data directory may hold ({@code data_files})
 */
record LaunchDefaults(
    String javaProfile,
    String nativeProfile,
    ResourceLimits javaLimits,
    ResourceLimits nativeLimits,
    int heapMb,
    int processors,
    int dataMb,
    int dataFiles) {
  static final String PROFILE = "default";
  static final int HEAP_MB = 64;
  static final int PROCESSORS = 2;
  static final int DATA_MB = 1024;
  static final int DATA_FILES = 100_000;

  /**
   * Every default: profile "default", the sandbox's limits, 64 MiB heap, 2 processors, a 1024 MiB
   * data directory of at most 100000 entries.
   */
  static LaunchDefaults standard() {
    return new LaunchDefaults(
        PROFILE,
        PROFILE,
        ResourceLimits.jvmDefaults(),
        ResourceLimits.nativeDefaults(),
        HEAP_MB,
        PROCESSORS,
        DATA_MB,
        DATA_FILES);
  }
}
