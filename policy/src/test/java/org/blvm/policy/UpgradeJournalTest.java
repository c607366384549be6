package org.blvm.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The record that lets a node killed mid-upgrade run the version that ran before it again. */
class UpgradeJournalTest extends UpgradeJournalFixture {

  @Test
  void interruptedUpgrade_restoresTheVersionThatRan_admittedAsAWholeAgain() throws Exception {
    Admission a = admission();
    Path dir = module("1.0.0", 1);
    AdmittedModule v1 = a.admit(dir);
    UpgradeJournal j = new UpgradeJournal(tmp.resolve("state"));
    assertTrue(j.keep(v1, dir));
    assertEquals(Optional.empty(), j.restoreDir("m"), "no upgrade began");

    module("1.1.0", 2); // the operator copies the next version in
    AdmittedModule v2 = a.admitCandidate(dir);
    assertTrue(j.keep(v2, dir));
    j.begin(v1);
    assertTrue(j.interrupted("m"));

    // the node is killed here; at its next start:
    Path restore = j.restoreDir("m").orElseThrow();
    assertEquals("m", restore.getFileName().toString());
    AdmittedModule again = a.admit(restore);
    assertEquals("1.0.0", again.manifest().version());
    assertEquals(v1.tree().digest(), again.tree().digest());
    assertEquals(v1.manifestSha256(), again.manifestSha256());
    j.discardRestore("m");
    assertFalse(Files.exists(restore));
    assertTrue(Files.isDirectory(v1.tree().root()), "the store copy is untouched");
    assertTrue(j.interrupted("m"), "it stays pinned until the next upgrade ends");

    j.end("m", v2);
    assertFalse(j.interrupted("m"));
    assertEquals(Optional.empty(), j.restoreDir("m"));
    assertFalse(
        Files.exists(tmp.resolve("state/upgrades/m/manifests/" + v1.manifestSha256().hex())));
    assertTrue(
        Files.exists(tmp.resolve("state/upgrades/m/manifests/" + v2.manifestSha256().hex())));
  }

  @Test
  void keep_directoryChangedSinceAdmission_notKept() throws Exception {
    Admission a = admission();
    Path dir = module("1.0.0", 1);
    AdmittedModule v1 = a.admit(dir);
    module("1.1.0", 2);
    assertFalse(new UpgradeJournal(tmp.resolve("state")).keep(v1, dir));
  }

  /** 1.0.0 admitted and kept, then an upgrade of it begun (and never ended). */
  private AdmittedModule begun(UpgradeJournal j) throws Exception {
    Path dir = module("1.0.0", 1);
    AdmittedModule v1 = admission().admit(dir);
    j.keep(v1, dir);
    j.begin(v1);
    return v1;
  }

  @Test
  void restore_keptManifestEdited_refusedByAdmission() throws Exception {
    UpgradeJournal j = new UpgradeJournal(tmp.resolve("state"));
    AdmittedModule v1 = begun(j);
    Path kept = tmp.resolve("state/upgrades/m/manifests/" + v1.manifestSha256().hex());
    Files.writeString(
        kept.resolve("module.toml"),
        Files.readString(kept.resolve("module.toml")).replace("# a test module", "# edited"));
    Path restore = j.restoreDir("m").orElseThrow();
    assertThrows(SignatureInvalidException.class, () -> admission().admit(restore));
  }

  @Test
  void restore_storedTreeMissing_isAnIoErrorNamingIt() throws Exception {
    UpgradeJournal j = new UpgradeJournal(tmp.resolve("state"));
    AdmittedModule v1 = begun(j);
    Path tree = v1.tree().root();
    try (var s = Files.walk(tree)) {
      s.forEach(p -> p.toFile().setWritable(true));
    }
    try (var s = Files.walk(tree)) {
      for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
    assertThrows(IOException.class, () -> j.restoreDir("m"));
  }
}
