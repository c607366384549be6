package org.blvm.loader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.blvm.policy.ModuleManifest.Runtime;
import org.blvm.policy.ModulePolicy;
import org.blvm.policy.Policy;
import org.blvm.sandbox.ResourceLimits;
import org.junit.jupiter.api.Test;

/** The one place that decides a module's profile, limits, heap and runtime options. */
class LimitResolverTest {
  private static final ResourceLimits JAVA = ResourceLimits.jvmDefaults();
  private static final ResourceLimits NATIVE = ResourceLimits.nativeDefaults();
  private static final LaunchDefaults LOADER =
      new LaunchDefaults("default", "strict", JAVA, NATIVE, 48, 2, 300, 5000);

  private static ModulePolicy policy(String toml) throws Exception {
    return Policy.parse("test.toml", toml.getBytes(StandardCharsets.UTF_8)).forModule("m");
  }

  private static List<String> jvm(int heapMb, ResourceLimits l) {
    return LimitResolver.jvmOptions(heapMb, 2, l);
  }

  @Test
  void resolve_policySetsNothing_loaderDefaultsExactly() throws Exception {
    for (ModulePolicy p :
        List.of(
            policy("[modules.m]\ncapabilities = []\n"),
            Policy.trusting(List.of(), 1).forModule("m"))) {
      assertEquals(
          new LimitResolver.Resolved("default", JAVA, jvm(48, JAVA), List.of()),
          LimitResolver.resolve(LOADER, Runtime.JAVA, p, 4));
      assertEquals(
          new LimitResolver.Resolved("strict", NATIVE, List.of(), List.of()),
          LimitResolver.resolve(LOADER, Runtime.NATIVE, p));
    }
    assertEquals(
        new LimitResolver.Resolved("strict", NATIVE, List.of(), List.of()),
        LimitResolver.resolve(LOADER, Runtime.NATIVE, null));
  }

  @Test
  void resolve_nativeModule_everyLimitMapped() throws Exception {
    ModulePolicy p =
        policy(
            "[defaults]\nsandbox_profile = \"default\"\n[defaults.limits]\nopen_files = 20\n"
                + "[modules.m.limits]\nmemory_mb = 64\ncpu_seconds = 7\nprocesses = 5\n"
                + "disk_mb = 3\n");

    LimitResolver.Resolved r = LimitResolver.resolve(LOADER, Runtime.NATIVE, p);

    assertEquals("default", r.profile(), "the policy's profile wins over the loader's strict");
    assertTrue(r.confinement(false).profileFromPolicy());
    assertEquals(new ResourceLimits(20, 5, 7, 3L << 20, 64L << 20), r.limits());
    assertEquals(List.of(), r.options(), "a native module gets no JVM options");
    assertEquals(
        List.of(
            "sandbox_profile",
            "limits.memory_mb",
            "limits.cpu_seconds",
            "limits.open_files",
            "limits.processes",
            "limits.disk_mb"),
        r.policySettings());
  }

  @Test
  void resolve_jvmModule_memoryIsHalfAsHeap_addressSpaceStaysTheLoaders() throws Exception {
    ModulePolicy p = policy("[modules.m]\nlimits = { memory_mb = 512, processes = 80 }\n");

    LimitResolver.Resolved r = LimitResolver.resolve(LOADER, Runtime.JAVA, p, 2);

    assertEquals(JAVA.withProcesses(80), r.limits());
    assertEquals(0, r.limits().addressSpaceBytes());
    assertEquals(jvm(256, JAVA), r.options());
    assertFalse(r.confinement(false).profileFromPolicy());
    assertEquals(16, LimitResolver.jvmHeapMb(16), "never below 16 MiB");
  }

  @Test
  void jvmOptions_oneHeapFlag_sizingOnlyUnderAddressSpaceLimit() {
    List<String> plain = jvm(64, JAVA);
    assertEquals(
        List.of(
            "-Xmx64m",
            "-XX:ActiveProcessorCount=2",
            "-XX:+UseSerialGC",
            "-XX:-UsePerfData",
            "-XX:+DisableAttachMechanism",
            "-Xshare:auto"),
        plain);
    List<String> sized = jvm(64, JAVA.withAddressSpaceBytes(1L << 30));
    assertEquals(plain, sized.subList(0, plain.size()));
    assertEquals(
        List.of(
            "-XX:CompressedClassSpaceSize=64m",
            "-XX:ReservedCodeCacheSize=64m",
            "-XX:MaxMetaspaceSize=96m"),
        sized.subList(plain.size(), sized.size()));
  }

  @Test
  void resolve_jvmModule_toldTheLoadersProcessors_orFewerWhenTheLoaderMayUseFewerCpus()
      throws Exception {
    ModulePolicy p = policy("[modules.m]\ncapabilities = []\n");

    assertEquals(jvm(48, JAVA), LimitResolver.resolve(LOADER, Runtime.JAVA, p, 64).options());
    assertEquals(
        LimitResolver.jvmOptions(48, 1, JAVA),
        LimitResolver.resolve(LOADER, Runtime.JAVA, p, 1).options(),
        "a module on the loader's one CPU never believes it has two");
    assertTrue(
        LimitResolver.resolve(LOADER, Runtime.JAVA, p)
            .options()
            .contains(
                "-XX:ActiveProcessorCount="
                    + Math.min(2, java.lang.Runtime.getRuntime().availableProcessors())),
        "without a count given, the CPUs this JVM may use");
  }

  @Test
  void resolve_cpuSecondsZero_unlimited_otherValuesKept() throws Exception {
    LimitResolver.Resolved r =
        LimitResolver.resolve(
            LOADER, Runtime.NATIVE, policy("[modules.m.limits]\ncpu_seconds = 0\n"));

    assertEquals(NATIVE.withCpuSeconds(ResourceLimits.UNLIMITED), r.limits());
  }

  @Test
  void dataLimit_policyValuesWin_unwrittenAreTheLoaders_andNeitherIsASandboxSetting()
      throws Exception {
    ModulePolicy p = policy("[modules.m.limits]\ndata_mb = 7\n");

    assertEquals(new LimitResolver.DataLimit(7L << 20, 5000), LimitResolver.dataLimit(LOADER, p));
    assertEquals(
        new LimitResolver.DataLimit(300L << 20, 5000), LimitResolver.dataLimit(LOADER, null));
    assertEquals(
        new LimitResolver.DataLimit(300L << 20, 12),
        LimitResolver.dataLimit(LOADER, policy("[defaults.limits]\ndata_files = 12\n")));
    assertEquals(
        new LimitResolver.Resolved("strict", NATIVE, List.of(), List.of()),
        LimitResolver.resolve(LOADER, Runtime.NATIVE, p),
        "data_mb is no sandbox setting: a plain launch does not report it as unapplied");
    assertEquals(
        new LimitResolver.DataLimit(1024L << 20, 100_000),
        LimitResolver.dataLimit(LaunchDefaults.standard(), null),
        "the documented defaults");
  }

  @Test
  void resolve_unknownProfileName_passedThrough_neverReplaced() throws Exception {
    LimitResolver.Resolved r =
        LimitResolver.resolve(
            LOADER, Runtime.JAVA, policy("[modules.m]\nsandbox_profile = \"nope\"\n"));

    assertEquals("nope", r.profile(), "checked at launch, which then fails");
    assertTrue(r.confinement(true).profileFromPolicy());
  }

  @Test
  void entryArguments_jvm_optionsThenJarThenModuleArguments() {
    Path java = Path.of("/usr/bin/java");
    Path jar = Path.of("/store/ab.jar");
    List<String> options = jvm(64, JAVA);
    List<String> withMain =
        LaunchSpec.Entry.jvm(java, jar, "org.x.Main", options).arguments(List.of("--a"));
    assertEquals(options, withMain.subList(0, options.size()));
    assertEquals(
        List.of("-cp", "/store/ab.jar", "org.x.Main", "--a"),
        withMain.subList(options.size(), withMain.size()));
    assertEquals(
        List.of("-jar", "/store/ab.jar"),
        LaunchSpec.Entry.jvm(java, jar, null, List.of()).arguments(List.of()));
    assertEquals(
        List.of("x"), LaunchSpec.Entry.nativeBinary(Path.of("/store/cd")).arguments(List.of("x")));
  }

  @Test
  void resolve_python_likeANativeModule_node_likeAJvmWithItsHeapOption() throws Exception {
    ModulePolicy p = policy("[modules.m]\nlimits = { memory_mb = 200 }\n");

    LimitResolver.Resolved py = LimitResolver.resolve(LOADER, Runtime.PYTHON3, p);
    LimitResolver.Resolved node = LimitResolver.resolve(LOADER, Runtime.NODE, p);
    LimitResolver.Resolved nodeDefault = LimitResolver.resolve(LOADER, Runtime.NODE, null);

    assertEquals(
        new LimitResolver.Resolved(
            "strict",
            NATIVE.withAddressSpaceBytes(200L << 20),
            List.of(),
            List.of("limits.memory_mb")),
        py);
    assertEquals("default", node.profile());
    assertEquals(JAVA, node.limits(), "no RLIMIT_AS: V8 reserves ~700 MiB of address space");
    assertEquals(List.of("--max-old-space-size=100"), node.options());
    assertEquals(List.of("--max-old-space-size=48"), nodeDefault.options());
  }

  @Test
  void entryArguments_interpreted_optionsThenScriptThenModuleArguments() {
    assertEquals(
        List.of("-E", "-s", "/store/t/main.py", "--once"),
        LaunchSpec.Entry.interpreted(
                Path.of("/usr/bin/python3.11"), List.of("-E", "-s"), Path.of("/store/t/main.py"))
            .arguments(List.of("--once")));
  }
}
