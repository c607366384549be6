package org.blvm.loader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.blvm.policy.ModulePolicy;
import org.blvm.policy.Policy;
import org.blvm.sandbox.ResourceLimits;
import org.junit.jupiter.api.Test;

/** The pure mapping from a module's policy onto the sandbox's profile and limits. */
class SandboxLauncherTest {
  private static final ResourceLimits JAVA = ResourceLimits.jvmDefaults().withHeapMb(48);
  private static final ResourceLimits NATIVE = ResourceLimits.nativeDefaults();
  private static final SandboxLauncher.SandboxPolicy LOADER =
      new SandboxLauncher.SandboxPolicy("default", "strict", JAVA, NATIVE);

  private static ModulePolicy policy(String toml) throws Exception {
    return Policy.parse("test.toml", toml.getBytes(StandardCharsets.UTF_8)).forModule("m");
  }

  @Test
  void resolve_policySetsNothing_loaderDefaultsExactly() throws Exception {
    for (ModulePolicy p :
        List.of(
            policy("[modules.m]\ncapabilities = []\n"),
            Policy.trusting(List.of(), 1).forModule("m"))) {
      assertEquals(
          new SandboxLauncher.Resolved("default", false, JAVA, false),
          SandboxLauncher.resolve(LOADER, true, p));
      assertEquals(
          new SandboxLauncher.Resolved("strict", false, NATIVE, false),
          SandboxLauncher.resolve(LOADER, false, p));
    }
    assertEquals(
        new SandboxLauncher.Resolved("strict", false, NATIVE, false),
        SandboxLauncher.resolve(LOADER, false, null));
  }

  @Test
  void resolve_nativeModule_everyLimitMapped() throws Exception {
    ModulePolicy p =
        policy(
            "[defaults]\nsandbox_profile = \"default\"\n[defaults.limits]\nopen_files = 20\n"
                + "[modules.m.limits]\nmemory_mb = 64\ncpu_seconds = 7\nprocesses = 5\n"
                + "disk_mb = 3\n");

    SandboxLauncher.Resolved r = SandboxLauncher.resolve(LOADER, false, p);

    assertEquals("default", r.profile(), "the policy's profile wins over the loader's strict");
    assertTrue(r.profileFromPolicy());
    assertEquals(new ResourceLimits(20, 5, 7, 3L << 20, 64L << 20, 64, 2), r.limits());
    assertFalse(r.heapFromPolicy());
  }

  @Test
  void resolve_jvmModule_memoryIsHalfAsHeap_addressSpaceStaysTheLoaders() throws Exception {
    ModulePolicy p = policy("[modules.m]\nlimits = { memory_mb = 512, processes = 80 }\n");

    SandboxLauncher.Resolved r = SandboxLauncher.resolve(LOADER, true, p);

    assertEquals(JAVA.withHeapMb(256).withProcesses(80), r.limits());
    assertEquals(0, r.limits().addressSpaceBytes());
    assertTrue(r.heapFromPolicy());
    assertEquals(16, SandboxLauncher.jvmHeapMb(16), "never below 16 MiB");
  }

  @Test
  void resolve_cpuSecondsZero_unlimited_otherValuesKept() throws Exception {
    SandboxLauncher.Resolved r =
        SandboxLauncher.resolve(LOADER, false, policy("[modules.m.limits]\ncpu_seconds = 0\n"));

    assertEquals(NATIVE.withCpuSeconds(ResourceLimits.UNLIMITED), r.limits());
  }

  @Test
  void resolve_unknownProfileName_passedThrough_neverReplaced() throws Exception {
    SandboxLauncher.Resolved r =
        SandboxLauncher.resolve(LOADER, true, policy("[modules.m]\nsandbox_profile = \"nope\"\n"));

    assertEquals("nope", r.profile(), "checked at launch, which then fails");
    assertTrue(r.profileFromPolicy());
  }

  @Test
  void withoutHeapFlags_dropsLoaderXmxBeforeTheMainClassOnly() {
    assertEquals(
        List.of("-XX:+UseSerialGC", "-cp", "/a.jar", "Main", "-Xmx9m"),
        SandboxLauncher.withoutHeapFlags(
            List.of("-Xmx64m", "-XX:+UseSerialGC", "-cp", "/a.jar", "Main", "-Xmx9m")));
    assertEquals(
        List.of("-jar", "/m.jar"),
        SandboxLauncher.withoutHeapFlags(List.of("-Xmx1g", "-jar", "/m.jar")));
  }
}
