package org.blvm.policy;

import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the journal's tests share: a state directory and a module directory under the test's own
 * temporary directory, one trusted key, an admission over them and signed versions of module {@code
 * m}.
 */
abstract class UpgradeJournalFixture {
  @TempDir Path tmp;

  final MinisignSecretKey key = Fixtures.key();

  /** An admission trusting {@link #key}, its state in {@code tmp/state}. */
  Admission admission() throws Exception {
    return Fixtures.admission(Fixtures.trusting(key), tmp.resolve("state"));
  }

  /** Module {@code m} at {@code version} in {@code tmp/modules/m}, its binary from {@code seed}. */
  Path module(String version, int seed) throws Exception {
    Path dir =
        Fixtures.module(tmp.resolve("modules"), "m", version, "", Fixtures.binary(4096, seed));
    Fixtures.sign(dir, key, null);
    return dir;
  }
}
