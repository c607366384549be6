package org.blvm.loader;

import java.util.ArrayList;
import java.util.List;
import org.blvm.policy.LimitSettings;
import org.blvm.policy.ModuleManifest;
import org.blvm.policy.ModulePolicy;
import org.blvm.sandbox.ResourceLimits;

/**
 * Decides what one module runs with: its seccomp profile, every kernel limit, its JVM heap and the
 * JVM's options, from the loader's defaults and the values the operator's policy writes. The only
 * place a limit or a JVM option is decided; pure given the CPUs the loader may use (no file is
 * read, the profile name is resolved at launch, where an unknown name fails the launch).
 *
 * <ul>
 *   <li>{@code sandbox_profile} → the profile; unwritten: the loader's for the runtime
 *   <li>{@code open_files} → RLIMIT_NOFILE
 *   <li>{@code processes} → RLIMIT_NPROC (processes and threads)
 *   <li>{@code cpu_seconds} → RLIMIT_CPU; 0 → RLIM_INFINITY ({@link ResourceLimits#UNLIMITED})
 *   <li>{@code disk_mb} → RLIMIT_FSIZE (the largest single file, not the directory's total)
 *   <li>{@code data_mb}, {@code data_files} → {@link DataLimit}: the data directory's total, which
 *       the loader measures (not part of the sandbox's confinement)
 *   <li>{@code memory_mb} → native and python3: RLIMIT_AS; JVM and node: a heap of half of it (at
 *       least 16 MiB), while RLIMIT_AS stays the loader's JVM setting (none unless set): a JVM
 *       reserves ~450 MiB of address space beyond its heap at start and Node.js ~700 MiB (V8's code
 *       range), so RLIMIT_AS = memory_mb would stop them starting
 * </ul>
 *
 * <p>Runtimes fall into two kinds: the JVM and Node.js (a managed heap sized by an option, large
 * address-space reservations) get the loader's JVM profile and limits; native programs and CPython
 * get the native ones.
 */
final class LimitResolver {
  private LimitResolver() {}

  /**
   * One module's decided launch settings.
   *
   * @param profile the seccomp profile's name
   * @param limits the kernel limits
   * @param options JVM modules: every JVM option, in order; node: its heap option; others: empty
   * @param policySettings the policy keys that decided part of this (for messages)
   */
  record Resolved(
      String profile, ResourceLimits limits, List<String> options, List<String> policySettings) {
    Resolved {
      options = List.copyOf(options);
      policySettings = List.copyOf(policySettings);
    }

    LaunchSpec.Confinement confinement(boolean network) {
      return new LaunchSpec.Confinement(profile, limits, network, policySettings);
    }
  }

  private static final List<String> DATA_KEYS = List.of("limits.data_mb", "limits.data_files");

  /**
   * The bounds of a module's data directory, which the loader measures ({@link DataUsageMonitor}).
   *
   * @param bytes {@code data_mb} in bytes: the allocated size of everything in it
   * @param entries {@code data_files}: files, directories, links and the rest below it
   */
  record DataLimit(long bytes, long entries) {}

  /** {@code data_mb} and {@code data_files} from the policy, else the loader's defaults. */
  static DataLimit dataLimit(LaunchDefaults loader, ModulePolicy policy) {
    int mb = loader.dataMb();
    int files = loader.dataFiles();
    if (policy != null) {
      mb = policy.limits().dataMb().orElse(mb);
      files = policy.limits().dataFiles().orElse(files);
    }
    return new DataLimit((long) mb << 20, files);
  }

  /** JVM heap for a policy memory_mb: half of it (the rest is metaspace, code, stacks, malloc). */
  static int jvmHeapMb(int memoryMb) {
    return Math.max(16, memoryMb / 2);
  }

  /** Whether {@code runtime} is sized like a JVM: a heap option, no RLIMIT_AS by default. */
  static boolean managedHeap(ModuleManifest.Runtime runtime) {
    return runtime == ModuleManifest.Runtime.JAVA || runtime == ModuleManifest.Runtime.NODE;
  }

  /**
   * {@code policy} null: the loader's defaults alone. A JVM module is sized for the loader's {@code
   * processors}, or for the CPUs this loader may run on if fewer ({@link #resolve(LaunchDefaults,
   * ModuleManifest.Runtime, ModulePolicy, int)}).
   */
  static Resolved resolve(
      LaunchDefaults loader, ModuleManifest.Runtime runtime, ModulePolicy policy) {
    return resolve(loader, runtime, policy, java.lang.Runtime.getRuntime().availableProcessors());
  }

  /**
   * As {@link #resolve(LaunchDefaults, ModuleManifest.Runtime, ModulePolicy)}, with {@code
   * usableCpus} the CPUs a module launched now may run on (it inherits the loader's CPU affinity
   * and control group): a JVM module is told at most that many processors, so that it never sizes
   * itself, or decides to spin while waiting, for CPUs it cannot use.
   */
  static Resolved resolve(
      LaunchDefaults loader, ModuleManifest.Runtime runtime, ModulePolicy policy, int usableCpus) {
    boolean managed = managedHeap(runtime);
    String profile = managed ? loader.javaProfile() : loader.nativeProfile();
    ResourceLimits l = managed ? loader.javaLimits() : loader.nativeLimits();
    int heapMb = loader.heapMb();
    List<String> fromPolicy = new ArrayList<>();
    if (policy != null) {
      if (policy.sandboxProfile().isPresent()) {
        profile = policy.sandboxProfile().get();
        fromPolicy.add("sandbox_profile");
      }
      LimitSettings p = policy.limits();
      for (String key : p.writtenKeys()) {
        if (!DATA_KEYS.contains(key)) { // the loader measures those, not the sandbox
          fromPolicy.add(key);
        }
      }
      if (p.openFiles().isPresent()) {
        l = l.withOpenFiles(p.openFiles().getAsInt());
      }
      if (p.processes().isPresent()) {
        l = l.withProcesses(p.processes().getAsInt());
      }
      if (p.cpuSeconds().isPresent()) {
        int s = p.cpuSeconds().getAsInt();
        l = l.withCpuSeconds(s == 0 ? ResourceLimits.UNLIMITED : s);
      }
      if (p.diskMb().isPresent()) {
        l = l.withFileSizeBytes((long) p.diskMb().getAsInt() << 20);
      }
      if (p.memoryMb().isPresent()) {
        if (managed) {
          heapMb = jvmHeapMb(p.memoryMb().getAsInt());
        } else {
          l = l.withAddressSpaceBytes((long) p.memoryMb().getAsInt() << 20);
        }
      }
    }
    List<String> options =
        runtime == ModuleManifest.Runtime.JAVA
            ? jvmOptions(heapMb, Math.max(1, Math.min(loader.processors(), usableCpus)), l)
            : runtime == ModuleManifest.Runtime.NODE
                ? List.of("--max-old-space-size=" + heapMb)
                : List.of();
    return new Resolved(profile, l, options, fromPolicy);
  }

  /**
   * {@code options} ({@link #jvmOptions}) with the loader-built class-data archive {@code archive}
   * after {@code -Xshare:auto}: the JVM maps it instead of the JDK's default archive (it holds the
   * JDK's default classes too). Auto, not on: an archive the JVM cannot use must cost only speed,
   * never the start; the loader only passes one that matches its record. When the archive's jar
   * carried a junixsocket library, the copy beside the archive is named to junixsocket ({@link
   * JniLibrary}), so that it is not unpacked into a temporary file at every start.
   */
  static List<String> withClassDataArchive(
      List<String> options, java.util.Optional<java.nio.file.Path> archive) {
    if (archive.isEmpty()) {
      return options;
    }
    List<String> f = new ArrayList<>(options);
    f.add(f.indexOf("-Xshare:auto") + 1, "-XX:SharedArchiveFile=" + archive.get());
    java.nio.file.Path library = ClassDataArchives.libraryOf(archive.get());
    if (java.nio.file.Files.isRegularFile(library, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      f.add("-D" + JniLibrary.PROPERTY + "=" + library);
    }
    return f;
  }

  /**
   * Every JVM option a module JVM gets, sandboxed or not: the heap and processor count (without a
   * cgroup the JVM would size itself from the host), the serial collector, no perf-data file, no
   * attach listener, class-data sharing when available, and under RLIMIT_AS the sizing that lets a
   * JVM start inside it.
   */
  static List<String> jvmOptions(int heapMb, int processors, ResourceLimits limits) {
    List<String> f = new ArrayList<>();
    f.add("-Xmx" + heapMb + "m");
    f.add("-XX:ActiveProcessorCount=" + processors);
    f.add("-XX:+UseSerialGC");
    f.add("-XX:-UsePerfData");
    f.add("-XX:+DisableAttachMechanism");
    f.add("-Xshare:auto");
    if (limits.addressSpaceBytes() > 0) {
      f.add("-XX:CompressedClassSpaceSize=64m");
      f.add("-XX:ReservedCodeCacheSize=64m");
      f.add("-XX:MaxMetaspaceSize=96m");
    }
    return f;
  }
}
