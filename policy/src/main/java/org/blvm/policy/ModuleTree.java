package org.blvm.policy;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Where an admitted module's files are, and which they are.
 *
 * @param root the directory holding them: the verified copy in the loader's store (from {@link
 *     Admission#admit}), or for {@link Admission#check} the module directory itself, merely checked
 * @param files every file with its pin, as read (the entry alone for a manifest pinning only its
 *     binary)
 */
public record ModuleTree(Path root, ModuleFiles files) {
  public ModuleTree {
    Objects.requireNonNull(root, "root");
    Objects.requireNonNull(files, "files");
  }

  /** The tree digest, the name of the verified copy in the store. */
  public Sha256 digest() {
    return files.digest();
  }
}
