package org.blvm.policy;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;

/** The manifest's {@code data_version} key (see {@link ModuleManifest#dataVersion()}). */
final class ManifestDataVersion {
  private ManifestDataVersion() {}

  /**
   * {@code data_version}: an integer from 0 to {@link ModuleManifest#MAX_DATA_VERSION}; 0 when
   * absent.
   */
  static int parse(Path file, JsonNode n) throws ManifestException {
    if (n == null) {
      return 0;
    }
    if (!n.isIntegralNumber() || !n.canConvertToLong()) {
      throw new ManifestException(
          file, "data_version", "must be an integer, found " + n.getNodeType());
    }
    long v = n.longValue();
    if (v < 0 || v > ModuleManifest.MAX_DATA_VERSION) {
      throw new ManifestException(
          file,
          "data_version",
          "must be from 0 to "
              + Integer.toString(ModuleManifest.MAX_DATA_VERSION)
              + ", found "
              + Long.toString(v));
    }
    return (int) v;
  }
}
