package org.blvm.loader;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.blvm.policy.Admission;
import org.blvm.policy.AdmissionStateException;
import org.blvm.policy.LoaderRoot;

/**
 * The loader's runtime and data roots: created when missing (then owned by the loader, and let in
 * the sandbox group when sandboxes run as other uids), checked and never changed when they exist.
 * The admission's store, whose verified trees the sandboxes mount, lets that group in too.
 */
final class LoaderRoots {
  private LoaderRoots() {}

  /**
   * @throws org.blvm.policy.UnsafeRootException naming the directory, what is wrong and the fix
   */
  static void prepare(LoaderConfig config, ModuleLauncher launcher, Admission admission)
      throws IOException {
    int gid = launcher instanceof SandboxLauncher ? ((SandboxLauncher) launcher).enterGid() : -1;
    LoaderRoot.prepare(config.runtimeDir(), "runtimeDir", gid);
    LoaderRoot.prepare(config.dataDir(), "dataDir", gid);
    if (gid >= 0) {
      try {
        admission.allowEntry(gid);
      } catch (AdmissionStateException e) {
        throw new IOException("the admission state directory: " + e.getMessage(), e);
      }
    }
  }

  /**
   * Whether the loader's own directories (the runtime root, the admission's state directory, the
   * audit log's directory) share the data root's filesystem; logs one WARNING if they do.
   */
  static StorageStatus checkSharing(LoaderConfig config, Path stateDir) {
    Map<String, Path> own = new LinkedHashMap<>();
    own.put("runtimeDir", config.runtimeDir());
    own.put("stateDir", stateDir);
    Path audit = config.auditLog().getParent();
    if (audit != null && !audit.equals(config.runtimeDir())) {
      own.put("auditLog directory", audit);
    }
    return StorageCheck.check(config.dataDir(), own);
  }
}
