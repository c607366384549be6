package org.blvm.loader;

import java.io.IOException;
import org.blvm.policy.LoaderRoot;

/**
 * The loader's runtime and data roots: created when missing (then owned by the loader, and let in
 * the sandbox group when sandboxes run as other uids), checked and never changed when they exist.
 */
final class LoaderRoots {
  private LoaderRoots() {}

  /**
   * @throws org.blvm.policy.UnsafeRootException naming the directory, what is wrong and the fix
   */
  static void prepare(LoaderConfig config, ModuleLauncher launcher) throws IOException {
    int gid = launcher instanceof SandboxLauncher ? ((SandboxLauncher) launcher).enterGid() : -1;
    LoaderRoot.prepare(config.runtimeDir(), "runtimeDir", gid);
    LoaderRoot.prepare(config.dataDir(), "dataDir", gid);
  }
}
