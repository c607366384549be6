package org.blvm.loader;

import java.io.IOException;

/**
 * Starts module processes. The sandbox plugs in here: a launcher decides how a module is confined
 * and how its peers are recognised. {@link #plainProcesses()} runs modules as ordinary child
 * processes, for development and tests until the sandbox launcher lands.
 */
public interface ModuleLauncher {
  /** Starts the process described by {@code spec}. */
  LaunchedProcess launch(LaunchSpec spec) throws IOException;

  /** Unconfined child processes; peers are recognised by process ancestry. */
  static ModuleLauncher plainProcesses() {
    return new PlainProcessLauncher();
  }
}
