package org.blvm.loader;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.blvm.policy.ModuleManifest;
import org.blvm.policy.ModulePolicy;
import org.blvm.protocol.Capability;

/** Builds the {@link LaunchSpec} of one module launch: its command line and environment. */
final class ModuleLaunchSpecs {
  private ModuleLaunchSpecs() {}

  /**
   * The launch of module {@code id}: the admitted {@code binary} (the store's copy), with its
   * socket, token and directories in a cleared environment.
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
      Path socketPath,
      byte[] token) {
    return new LaunchSpec(
        id,
        command(manifest, binary, config),
        environment(socketPath, token, dataDir),
        moduleDir,
        dataDir,
        socketDir,
        outputLog(config, id),
        binary,
        manifest.runtime() == ModuleManifest.Runtime.JAVA,
        granted.contains(Capability.NETWORK_ACCESS),
        policy);
  }

  /** Where the module's stdout and stderr go: {@code <runtime>/<id>.out.log}. */
  static Path outputLog(LoaderConfig config, String id) {
    return config.runtimeDir().resolve(id + ".out.log");
  }

  private static List<String> command(ModuleManifest manifest, Path binary, LoaderConfig config) {
    // The admitted copy in the loader's store: a file swapped in the module directory after its
    // signature was checked is never run.
    Path entry = binary;
    List<String> cmd = new ArrayList<>();
    if (manifest.runtime() == ModuleManifest.Runtime.JAVA) {
      cmd.add(config.javaExecutable().toString());
      cmd.add("-Xmx" + config.moduleHeapMb() + "m");
      cmd.add("-XX:+UseSerialGC");
      cmd.add("-XX:-UsePerfData");
      cmd.add("-XX:+DisableAttachMechanism");
      cmd.add("-Xshare:auto");
      if (manifest.mainClass() != null) {
        cmd.add("-cp");
        cmd.add(entry.toString());
        cmd.add(manifest.mainClass());
      } else {
        cmd.add("-jar");
        cmd.add(entry.toString());
      }
    } else {
      cmd.add(entry.toString());
    }
    return cmd;
  }

  private static Map<String, String> environment(Path socketPath, byte[] token, Path dataDir) {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("BLVM_SOCKET", socketPath.toString());
    env.put("BLVM_TOKEN", new String(token, StandardCharsets.US_ASCII));
    env.put("BLVM_DATA_DIR", dataDir.toString());
    env.put("HOME", dataDir.toString());
    env.put("PATH", "/usr/bin:/bin");
    env.put("LANG", "C.UTF-8");
    return env;
  }
}
