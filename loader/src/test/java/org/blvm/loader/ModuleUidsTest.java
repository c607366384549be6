package org.blvm.loader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashSet;
import java.util.Set;
import org.blvm.sandbox.UidRange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One uid per module: stable from the name, distinct, recorded, never guessed. */
class ModuleUidsTest {
  private static final UidRange RANGE = new UidRange(60500, 500);

  @TempDir Path tmp;

  @Test
  void uidFor_stableAcrossInstances_distinctPerModule_recordedPrivately() throws Exception {
    ModuleUids a = new ModuleUids(RANGE, tmp, Set.of());
    Set<Integer> seen = new HashSet<>();
    for (int i = 0; i < 50; i++) {
      int uid = a.uidFor("module-" + i);
      assertTrue(RANGE.contains(uid), "" + uid);
      assertTrue(seen.add(uid), "given twice: " + uid);
      assertEquals(uid, a.uidFor("module-" + i), "the same module, the same uid");
    }
    ModuleUids b = new ModuleUids(RANGE, tmp, Set.of());
    assertEquals(a.uidFor("module-7"), b.uidFor("module-7"), "read back from the record");
    assertEquals(
        60500 + Math.floorMod(ModuleUids.stableHash("fresh"), 500),
        new ModuleUids(RANGE, Files.createDirectories(tmp.resolve("x")), Set.of()).uidFor("fresh"),
        "a new module's uid follows from its name");
    Path file = tmp.resolve(ModuleUids.FILE_NAME);
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
  }

  @Test
  void uidFor_collisionOrReservedId_movesToTheNextFree() throws Exception {
    int home = 60500 + Math.floorMod(ModuleUids.stableHash("alpha"), 500);
    ModuleUids u = new ModuleUids(RANGE, tmp, Set.of(home));

    int alpha = u.uidFor("alpha");

    assertNotEquals(home, alpha, "an account's id is never given out");
    assertEquals(60500 + (home - 60500 + 1) % 500, alpha);
  }

  @Test
  void uidFor_rangeExhausted_refusedNamingTheRange() throws Exception {
    ModuleUids u = new ModuleUids(new UidRange(60500, 2), tmp, Set.of());
    u.uidFor("a");
    u.uidFor("b");

    IOException e = assertThrows(IOException.class, () -> u.uidFor("c"));
    assertTrue(e.getMessage().contains("60500-60501"), e.getMessage());
  }

  @Test
  void uidFor_damagedRecord_refused_neverGuessed() throws Exception {
    Files.writeString(tmp.resolve(ModuleUids.FILE_NAME), "a 60500\nb 60500\n");

    IOException e =
        assertThrows(IOException.class, () -> new ModuleUids(RANGE, tmp, Set.of()).uidFor("a"));
    assertTrue(e.getMessage().contains("line 2"), e.getMessage());
  }

  @Test
  void assign_failedWrite_reportedAtTheAwait_writtenAgainAtTheNextAssign() throws Exception {
    ModuleUids u = new ModuleUids(RANGE, tmp, Set.of());
    u.uidFor("first"); // the record is read (and written) once
    Path file = tmp.resolve(ModuleUids.FILE_NAME);
    Files.delete(file);
    // a directory that is not empty where the record goes: the replacing move fails
    Files.createFile(Files.createDirectory(file).resolve("x"));

    ModuleUids.Assignment a = u.assign("second");
    IOException e = assertThrows(IOException.class, a::awaitRecorded);
    assertTrue(e.getMessage().contains("cannot record module uid " + a.uid()), e.getMessage());
    ModuleUids.Assignment again = u.assign("second");
    assertEquals(a.uid(), again.uid(), "the same uid, written again");
    assertThrows(IOException.class, again::awaitRecorded);

    Files.delete(file.resolve("x"));
    Files.delete(file);
    ModuleUids.Assignment third = u.assign("second");
    third.awaitRecorded();
    assertEquals(a.uid(), third.uid());
    assertTrue(Files.readString(file).contains("second " + a.uid() + "\n"), Files.readString(file));
    assertTrue(Files.readString(file).contains("first "), "each write holds the whole record");
    assertEquals(a.uid(), new ModuleUids(RANGE, tmp, Set.of()).uidFor("second"));
  }

  @Test
  void accountIds_includeRootAndNobody() throws Exception {
    Set<Integer> ids = ModuleUids.accountIds();
    assertTrue(ids.contains(0), "" + ids);
  }
}
