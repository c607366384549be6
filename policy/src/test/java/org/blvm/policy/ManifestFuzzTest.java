package org.blvm.policy;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Coverage-guided fuzz target (Jazzer) for {@code module.toml}, the file a module's author writes
 * and signs: {@link ModuleManifest#parse}, then what admission and signing do with a parsed
 * manifest (its version as a {@link SemVer}, pinning the binary with {@code ManifestEditor}).
 * Invariants: only {@link ManifestException} escapes, naming the file; whatever parses is usable
 * (no unchecked exception later); pinning either refuses with a ManifestException or yields text
 * that parses to the same manifest with the new pin.
 *
 * <p>Regression inputs: {@code src/test/resources/org/blvm/policy/ManifestFuzzTestInputs/parse/};
 * {@code fuzz/run} fuzzes it with libFuzzer's limit of 1 s per input.
 */
final class ManifestFuzzTest {
  private static final Path FILE = Path.of("fuzz", "module.toml");
  private static final BinaryPin PIN = new BinaryPin(Sha256.digest(new byte[] {1, 2, 3}), 3);

  @MethodSource("seeds")
  @FuzzTest
  void parse(byte[] input) {
    ModuleManifest m;
    try {
      m = ModuleManifest.parse(FILE, input);
    } catch (ManifestException e) {
      FuzzChecks.rejection(e, e.file(), FILE);
      return;
    }
    assertNotNull(m.semVer());
    assertNotNull(m.label());
    for (Dependency d : m.dependencies()) {
      assertNotNull(d.range());
    }
    String pinned;
    try {
      pinned = ManifestEditor.withPin(FILE, new String(input, UTF_8), m, PIN);
    } catch (ManifestException e) {
      FuzzChecks.rejection(e, e.file(), FILE);
      return;
    }
    ModuleManifest after;
    try {
      after = ModuleManifest.parse(FILE, pinned.getBytes(UTF_8));
    } catch (ManifestException e) {
      throw new AssertionError("the pinned manifest does not parse: " + e.getMessage(), e);
    }
    assertEquals(PIN, after.binary());
    assertEquals(m.name(), after.name());
    assertSame(m.runtime(), after.runtime());
  }

  static Stream<byte[]> seeds() {
    String full =
        "# a full manifest\n"
            + "name = \"fee-watch\"\n"
            + "version = \"1.4.0-rc.2\"\n"
            + "description = \"fee alerts\"\n"
            + "runtime = \"java\"\n"
            + "entry = \"fee-watch.jar\"\n"
            + "main_class = \"org.example.fees.Main\"\n"
            + "capabilities = [\"read_mempool\", \"subscribe_events\", \"publish_events\"]\n"
            + "provides = [\"get_fee\", \"set_alert\"]\n"
            + "publishes = [\"fees.alert\"]\n"
            + "sandbox_profile = \"strict\"\n"
            + "\n[config]\nthreshold_sat_vb = 25\nlabels = { low = \"ok\", high = \"alarm\" }\n"
            + "\n[dependencies]\nlightning = \">=1.0.0, <2.0.0\"\n"
            + "\n[binary]\nsha256 = \""
            + "ab".repeat(32)
            + "\"\nsize = 4096\n";
    String small =
        "name = \"m\"\nversion = \"0.1.0\"\nruntime = \"native\"\nentry = \"m.bin\"\n"
            + "capabilities = []\n";
    return Stream.of(full, small).map(s -> s.getBytes(UTF_8));
  }
}
