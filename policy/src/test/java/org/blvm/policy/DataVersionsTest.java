package org.blvm.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Manifest {@code data_version} and the record of the highest that ran with a module's data. */
class DataVersionsTest {
  @TempDir Path tmp;

  private static ModuleManifest manifest(String version, String dataVersionLine)
      throws ManifestException {
    String toml =
        "name = \"m\"\nversion = \""
            + version
            + "\"\nruntime = \"native\"\nentry = \"mod.bin\"\n"
            + dataVersionLine;
    return ModuleManifest.parse(Path.of("module.toml"), toml.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void manifest_dataVersion_optionalNonNegativeBounded() throws Exception {
    assertEquals(0, manifest("1.0.0", "").dataVersion());
    assertEquals(7, manifest("1.0.0", "data_version = 7\n").dataVersion());
    assertEquals(
        ModuleManifest.MAX_DATA_VERSION,
        manifest("1.0.0", "data_version = " + ModuleManifest.MAX_DATA_VERSION + "\n")
            .dataVersion());
    for (String bad :
        new String[] {
          "data_version = -1\n",
          "data_version = 1000000001\n",
          "data_version = 99999999999999999999\n",
          "data_version = \"3\"\n",
          "data_version = 1.5\n"
        }) {
      ManifestException e = assertThrows(ManifestException.class, () -> manifest("1.0.0", bad));
      assertEquals("data_version", e.key(), bad);
    }
  }

  @Test
  void lowerDataVersionThanRan_refusedNamingBoth_equalOrHigherAdmitted() throws Exception {
    DataVersions d = new DataVersions(tmp);
    d.check(manifest("1.0.0", "data_version = 2\n"));
    d.recordRan(manifest("1.0.0", "data_version = 2\n"));
    d.check(manifest("1.1.0", "data_version = 2\n"));
    d.check(manifest("2.0.0", "data_version = 3\n"));
    DataVersionException e =
        assertThrows(DataVersionException.class, () -> d.check(manifest("0.9.0", "")));
    assertEquals(
        "module m 0.9.0: data_version 0 is lower than 2, the highest that ran with its data"
            + " (data downgrade refused)",
        e.getMessage());
    assertEquals(2, e.highest());
    assertEquals(0, e.found());
    // a lower one that ran does not lower the record
    d.recordRan(manifest("1.0.1", "data_version = 1\n"));
    assertThrows(
        DataVersionException.class, () -> d.check(manifest("1.0.2", "data_version = 1\n")));
    String text = Files.readString(tmp.resolve("data-versions"));
    assertEquals(DataVersions.HEADER + "\nm 2\n", text);
    assertEquals(
        "rw-------",
        PosixFilePermissions.toString(Files.getPosixFilePermissions(tmp.resolve("data-versions"))));
  }

  @Test
  void corruptRecord_refusesEveryModule() throws Exception {
    Path f = tmp.resolve("data-versions");
    for (String bad :
        new String[] {
          "garbage\n", DataVersions.HEADER + "\nm x\n", DataVersions.HEADER + "\nm 1\nm 2\n"
        }) {
      Files.writeString(f, bad);
      Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
      AdmissionStateException e =
          assertThrows(
              AdmissionStateException.class,
              () -> new DataVersions(tmp).check(manifest("1.0.0", "")));
      assertTrue(e.getMessage().contains("data-versions"), e.getMessage());
    }
    Files.writeString(f, DataVersions.HEADER + "\n");
    Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r--r--"));
    assertThrows(
        AdmissionStateException.class, () -> new DataVersions(tmp).check(manifest("1.0.0", "")));
  }
}
