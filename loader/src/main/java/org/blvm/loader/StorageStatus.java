package org.blvm.loader;

import java.util.List;
import java.util.Optional;

/**
 * Whether the loader's own directories share a filesystem with the module data root ({@link
 * ModuleManager#storageStatus()}): if they do, a module filling its data directory — up to its
 * {@code data_mb}, or past it between two measurements — fills the disk the loader writes its audit
 * log, module state and output logs to.
 *
 * @param checked false until {@link ModuleManager#start()} has checked
 * @param sharingDataFilesystem the loader's directories on the data root's filesystem, each as
 *     {@code "<setting> <path>"} (e.g. {@code "runtimeDir /run/blvm"}); empty when none
 * @param warning the WARNING {@code start()} logged about them, when it logged one
 */
public record StorageStatus(
    boolean checked, List<String> sharingDataFilesystem, Optional<String> warning) {
  public StorageStatus {
    sharingDataFilesystem = List.copyOf(sharingDataFilesystem);
  }

  static final StorageStatus UNCHECKED = new StorageStatus(false, List.of(), Optional.empty());
}
