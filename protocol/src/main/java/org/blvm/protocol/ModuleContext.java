package org.blvm.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Objects;

/**
 * What the node tells a module about itself in the welcome. {@code moduleId} comes from the
 * authenticated connection, never from what the module said.
 */
public record ModuleContext(
    String moduleId,
    JsonNode config,
    String dataDir,
    String socketPath,
    List<Capability> capabilities) {
  public ModuleContext {
    Objects.requireNonNull(moduleId, "module_id");
    Objects.requireNonNull(config, "config");
    Objects.requireNonNull(dataDir, "data_dir");
    Objects.requireNonNull(socketPath, "socket_path");
    capabilities = List.copyOf(capabilities);
  }
}
