package org.blvm.loader;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Compares the device ({@code st_dev}) of the loader's own directories with the data root's: one
 * that matches is on the same filesystem, and a module filling its data directory would starve the
 * loader's own writes there.
 */
final class StorageCheck {
  private static final System.Logger LOG = System.getLogger("blvm.loader");

  private StorageCheck() {}

  /**
   * Checks each of {@code dirs} (setting name → directory; one that does not exist is skipped)
   * against {@code dataRoot}, and logs one WARNING naming those on its filesystem.
   */
  static StorageStatus check(Path dataRoot, Map<String, Path> dirs) {
    Optional<Object> data = dev(dataRoot);
    List<String> sharing = new ArrayList<>();
    if (data.isPresent()) {
      for (Map.Entry<String, Path> d : dirs.entrySet()) {
        if (d.getValue() != null && dev(d.getValue()).equals(data)) {
          sharing.add(d.getKey() + " " + d.getValue());
        }
      }
    }
    if (sharing.isEmpty()) {
      return new StorageStatus(true, List.of(), Optional.empty());
    }
    String warning =
        String.join(", ", sharing)
            + (sharing.size() == 1 ? " is" : " are")
            + " on the same filesystem as the module data root "
            + dataRoot
            + ": a module filling its data directory (up to its data_mb, or past it between two"
            + " measurements) also fills the disk the loader writes its audit log, state and module"
            + " logs to; put the data root on a filesystem of its own (docs/operations.md)";
    LOG.log(System.Logger.Level.WARNING, warning);
    return new StorageStatus(true, sharing, Optional.of(warning));
  }

  private static Optional<Object> dev(Path p) {
    try {
      return Optional.of(Files.getAttribute(p, "unix:dev"));
    } catch (IOException | UnsupportedOperationException | SecurityException e) {
      return Optional.empty();
    }
  }
}
