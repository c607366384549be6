package org.blvm.loader;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.blvm.policy.ModuleManifest;
import org.blvm.policy.ModulePolicy;
import org.blvm.protocol.Capability;

/** Builds the {@link LaunchSpec} of one module launch from what admission decided. */
final class ModuleLaunchSpecs {
  private ModuleLaunchSpecs() {}

  /**
   * The launch of module {@code id}: the admitted {@code binary} (the store's copy, so a file
   * swapped in the module directory after its signature was checked is never run), its socket,
   * token and directories, with the profile, limits and JVM options {@link LimitResolver} decides.
   */
  static LaunchSpec of(
      String id,
      ModuleManifest manifest,
      Path binary,
      Set<Capability> granted,
      ModulePolicy policy,
      LoaderConfig config,
      Path moduleDir,
      Path dataDir,
      Path socketDir,
      byte[] token) {
    boolean java = manifest.runtime() == ModuleManifest.Runtime.JAVA;
    LimitResolver.Resolved r = LimitResolver.resolve(config.launchDefaults(), java, policy);
    LaunchSpec.Entry entry =
        java
            ? LaunchSpec.Entry.jvm(
                config.javaExecutable(), binary, manifest.mainClass(), r.jvmOptions())
            : LaunchSpec.Entry.nativeBinary(binary);
    return new LaunchSpec(
        id,
        entry,
        List.of(),
        socketDir,
        Endpoint.SOCKET_NAME,
        dataDir,
        List.of(moduleDir, binary),
        outputLog(config, id),
        r.confinement(granted.contains(Capability.NETWORK_ACCESS)),
        new String(token, StandardCharsets.US_ASCII));
  }

  /** Where the loader writes the module's stdout and stderr: {@code <runtime>/<id>.out.log}. */
  static Path outputLog(LoaderConfig config, String id) {
    return config.runtimeDir().resolve(id + ".out.log");
  }
}
