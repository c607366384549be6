package org.blvm.loader;

import org.blvm.policy.AdmissionException;
import org.blvm.policy.AdmittedModule;
import org.blvm.policy.DataVersions;

/**
 * Applies {@link DataVersions} to every launch: an admission (at node start, an operator's start,
 * an upgrade's new version, a rollback's previous one, an automatic restart) whose {@code
 * data_version} is lower than the highest that ran with the module's data is refused ({@link
 * #check}, through {@link ModuleDiscovery}); a module that reaches STARTED has its {@code
 * data_version} recorded ({@link #stateChanged}, as the change is reported, after the module's
 * monitor was released).
 */
final class DataVersionGate implements ModuleStateListener {
  private static final System.Logger LOG = System.getLogger("blvm.loader");

  private final ModuleRegistry modules;
  private final DataVersions versions;

  DataVersionGate(ModuleRegistry modules, DataVersions versions) {
    this.modules = modules;
    this.versions = versions;
  }

  /** Throws when {@code admitted}'s data version is lower than the highest that ran. */
  static void check(DataVersions versions, AdmittedModule admitted) throws AdmissionException {
    if (versions != null) {
      versions.check(admitted.manifest());
    }
  }

  @Override
  public void stateChanged(ModuleStateChange change) {
    if (change.to() != ModuleState.STARTED) {
      return;
    }
    LoadedModule m = modules.get(change.module()).orElse(null);
    if (m == null) {
      return;
    }
    try {
      versions.recordRan(m.admitted().manifest());
    } catch (AdmissionException e) {
      LOG.log(
          System.Logger.Level.ERROR,
          "module {0}: its data version could not be recorded: {1}",
          change.module(),
          e.getMessage());
    }
  }
}
