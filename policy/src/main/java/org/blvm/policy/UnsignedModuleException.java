package org.blvm.policy;

import java.nio.file.Path;

/** No signature file next to the manifest, and the policy does not allow this module unsigned. */
public final class UnsignedModuleException extends AdmissionException {
  private static final long serialVersionUID = 1L;

  private final String module;
  private final transient Path directory;

  public UnsignedModuleException(String module, Path directory) {
    super(
        "module "
            + module
            + ": no signature found in "
            + directory
            + " (expected module.toml.minisig or module.toml.<signer>.minisig)");
    this.module = module;
    this.directory = directory;
  }

  public String module() {
    return module;
  }

  public Path directory() {
    return directory;
  }
}
