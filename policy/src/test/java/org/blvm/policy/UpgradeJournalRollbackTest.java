package org.blvm.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The journal's record of the previous version and the version ratchet's one step back: what {@code
 * modules rollback} returns to, and what it may not.
 */
class UpgradeJournalRollbackTest extends UpgradeJournalFixture {

  /** An upgrade from {@code running} to the directory's {@code version} that succeeded. */
  private AdmittedModule upgraded(
      UpgradeJournal j, AdmittedModule running, String version, int seed) throws Exception {
    Path dir = module(version, seed);
    AdmittedModule next = admission().admitCandidate(dir);
    assertTrue(j.keep(next, dir));
    j.begin(running);
    admission().recordRan(next);
    j.succeeded("m", running, next);
    return next;
  }

  private String ratchetLine() throws IOException {
    return Files.readString(tmp.resolve("state/versions")).lines().skip(1).findFirst().orElse("");
  }

  @Test
  void succeededUpgrade_recordsThePrevious_rollbackGoesBackOnce_andAnotherReleaseEndsIt()
      throws Exception {
    UpgradeJournal j = new UpgradeJournal(tmp.resolve("state"));
    Path dir = module("1.0.0", 1);
    AdmittedModule v10 = admission().admit(dir);
    assertTrue(j.keep(v10, dir));
    assertEquals(Optional.empty(), j.previous("m"), "no upgrade yet");

    AdmittedModule v11 = upgraded(j, v10, "1.1.0", 2);
    UpgradeJournal.Previous p = j.previous("m").orElseThrow();
    assertEquals(v10.manifestSha256(), p.manifest());
    assertEquals(v10.tree().digest(), p.tree());
    assertEquals(v11.manifestSha256(), p.of());
    Path record = tmp.resolve("state/upgrades/m/previous");
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(record)));
    assertFalse(j.interrupted("m"));
    assertTrue(Files.isDirectory(tmp.resolve("state/upgrades/m/manifests/" + p.manifest().hex())));

    // the previous version, assembled from the record, admitted as a whole for a rollback
    Path restore = j.assemble("m", p.manifest(), p.tree());
    assertThrows(RollbackException.class, () -> admission().admit(restore), "not from a directory");
    AdmittedModule back = admission().admitRollback(restore);
    j.discardRestore("m");
    assertEquals("1.0.0", back.manifest().version());
    assertEquals(v10.tree().digest(), back.tree().digest());
    String highest = ratchetLine();
    admission().recordRollback(back, v11);
    j.rolledBack("m", back);
    assertEquals(highest, ratchetLine(), "the highest does not move back");
    assertTrue(highest.startsWith("m 1.1.0 "), highest);
    assertTrue(
        Files.readString(tmp.resolve("state/rollbacks")).contains("\nm 1.0.0 "),
        Files.readString(tmp.resolve("state/rollbacks")));
    assertEquals(
        "rw-------",
        PosixFilePermissions.toString(
            Files.getPosixFilePermissions(tmp.resolve("state/rollbacks"))));
    assertEquals(Optional.empty(), j.previous("m"), "nothing to go back to from here");
    assertTrue(j.pinned("m"));

    // the next admission restores 1.0.0 from the journal, and the ratchet lets it pass
    Path pinned = j.restoreDir("m").orElseThrow();
    assertEquals("1.0.0", admission().admitRestored(pinned).manifest().version());
    j.discardRestore("m");
    assertEquals(highest, ratchetLine());

    // an upgrade back to a newer release ends the rollback: 1.0.0 is refused again
    AdmittedModule v12 = upgraded(j, back, "1.2.0", 3);
    assertFalse(j.pinned("m"));
    assertFalse(Files.readString(tmp.resolve("state/rollbacks")).contains("\nm "));
    Path again = j.assemble("m", v10.manifestSha256(), null);
    assertThrows(RollbackException.class, () -> admission().admitRestored(again));
    assertEquals(v12.manifestSha256(), j.previous("m").orElseThrow().of());
  }

  @Test
  void secondRollback_toAnythingOlder_refusedNamingTheRule() throws Exception {
    UpgradeJournal j = new UpgradeJournal(tmp.resolve("state"));
    Path dir = module("0.9.0", 9);
    AdmittedModule v09 = admission().admit(dir);
    assertTrue(j.keep(v09, dir));
    AdmittedModule v10 = upgraded(j, v09, "1.0.0", 1);
    AdmittedModule v11 = upgraded(j, v10, "1.1.0", 2);
    Path restore10 = j.assemble("m", v10.manifestSha256(), null);
    AdmittedModule back = admission().admitRollback(restore10);
    admission().recordRollback(back, v11);
    j.rolledBack("m", back);

    // 0.9.0's kept manifest is gone with the journal's record; the ratchet refuses it regardless
    Path older = module("0.9.0", 9);
    RollbackRefusedException e =
        assertThrows(RollbackRefusedException.class, () -> admission().admitRollback(older));
    assertEquals("m", e.module());
    assertEquals("0.9.0", e.version());
    assertTrue(
        e.getMessage()
            .contains("rolled back from 1.1.0 to 1.0.0 already; a second rollback, to anything"),
        e.getMessage());
    assertThrows(RollbackRefusedException.class, () -> admission().recordRollback(v09, v11));
  }

  @Test
  void recordRollback_ratchetMovedMeanwhile_refusedNamingBothVersions() throws Exception {
    UpgradeJournal j = new UpgradeJournal(tmp.resolve("state"));
    Path dir = module("1.0.0", 1);
    AdmittedModule v10 = admission().admit(dir);
    j.keep(v10, dir);
    AdmittedModule v11 = upgraded(j, v10, "1.1.0", 2);
    upgraded(j, v11, "1.2.0", 3);
    RollbackRefusedException e =
        assertThrows(RollbackRefusedException.class, () -> admission().recordRollback(v10, v11));
    assertTrue(e.getMessage().contains("highest release is 1.2.0, not 1.1.0"), e.getMessage());
  }

  @Test
  void previousRecord_corrupt_isAnIoErrorNamingIt() throws Exception {
    UpgradeJournal j = new UpgradeJournal(tmp.resolve("state"));
    Path dir = module("1.0.0", 1);
    AdmittedModule v10 = admission().admit(dir);
    j.keep(v10, dir);
    upgraded(j, v10, "1.1.0", 2);
    Files.writeString(tmp.resolve("state/upgrades/m/previous"), "not a record\n");
    IOException e = assertThrows(IOException.class, () -> j.previous("m"));
    assertTrue(e.getMessage().contains("upgrades/m/previous is corrupt"), e.getMessage());
  }

  @Test
  void assemble_recordNamesAnotherTree_refused() throws Exception {
    UpgradeJournal j = new UpgradeJournal(tmp.resolve("state"));
    Path dir = module("1.0.0", 1);
    AdmittedModule v10 = admission().admit(dir);
    j.keep(v10, dir);
    AdmittedModule v11 = upgraded(j, v10, "1.1.0", 2);
    IOException e =
        assertThrows(
            IOException.class, () -> j.assemble("m", v10.manifestSha256(), v11.tree().digest()));
    assertTrue(e.getMessage().contains("pins the tree"), e.getMessage());
  }
}
