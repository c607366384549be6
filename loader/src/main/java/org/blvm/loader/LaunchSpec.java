package org.blvm.loader;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.blvm.policy.ModulePolicy;

/**
 * Everything a {@link ModuleLauncher} needs to start one module process.
 *
 * @param moduleId the module's name
 * @param command the executable (absolute path) and its arguments
 * @param environment the complete environment of the process (nothing is inherited)
 * @param moduleDir the module's installed directory (binary, manifest); read-only for the module
 * @param dataDir the module's own writable directory
 * @param socketDir the private directory holding the module's socket
 * @param outputLog where the process's stdout and stderr go
 * @param binary the verified binary to run (the admission store's copy, never the original)
 * @param java whether {@code command} runs a JVM (command[0] is the java launcher)
 * @param network whether the module was granted network access
 * @param policy the operator's policy for the module ({@code sandbox_profile} and {@code limits}
 *     the sandbox applies where the operator set them), or null for none: the launcher's own
 *     defaults apply
 */
public record LaunchSpec(
    String moduleId,
    List<String> command,
    Map<String, String> environment,
    Path moduleDir,
    Path dataDir,
    Path socketDir,
    Path outputLog,
    Path binary,
    boolean java,
    boolean network,
    ModulePolicy policy) {
  public LaunchSpec {
    Objects.requireNonNull(moduleId, "moduleId");
    command = List.copyOf(command);
    environment = Map.copyOf(environment);
    Objects.requireNonNull(moduleDir, "moduleDir");
    Objects.requireNonNull(dataDir, "dataDir");
    Objects.requireNonNull(socketDir, "socketDir");
    Objects.requireNonNull(outputLog, "outputLog");
    Objects.requireNonNull(binary, "binary");
    if (command.isEmpty()) {
      throw new IllegalArgumentException("command is empty");
    }
  }
}
