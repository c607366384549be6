package org.blvm.policy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;

/** Builds module directories, keys and policies inside a test's temporary directory. */
final class Fixtures {
  static final SecureRandom RANDOM = new SecureRandom();
  static final Instant NOW = Instant.parse("2026-06-01T00:00:00Z");
  static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);

  /** Cheap scrypt cost for unit tests (the format stores it; minisign reads any value). */
  static final MinisignSecretKey.KdfLimits FAST_KDF =
      new MinisignSecretKey.KdfLimits(32_768, 1 << 20);

  private Fixtures() {}

  static MinisignSecretKey key() {
    return MinisignSecretKey.generate(RANDOM);
  }

  static byte[] binary(int size, int seed) {
    byte[] b = new byte[size];
    new java.util.Random(seed).nextBytes(b);
    return b;
  }

  /** {@code root/name/} with an entry {@code mod.bin} and an unpinned manifest. */
  static Path module(Path root, String name, String version, String capabilities)
      throws IOException {
    return module(root, name, version, capabilities, binary(4096, name.hashCode()));
  }

  static Path module(Path root, String name, String version, String capabilities, byte[] bin)
      throws IOException {
    Path dir = Files.createDirectories(root.resolve(name));
    Files.write(dir.resolve("mod.bin"), bin);
    Files.writeString(
        dir.resolve("module.toml"),
        "# a test module\n"
            + "name = \""
            + name
            + "\"\nversion = \""
            + version
            + "\"\nruntime = \"native\"\nentry = \"mod.bin\"\n"
            + "capabilities = ["
            + capabilities
            + "]\n");
    return dir;
  }

  /** Pins the binary and signs with {@code key} into module.toml[.label].minisig. */
  static Path sign(Path dir, MinisignSecretKey key, String label) throws Exception {
    return ModuleSigner.sign(dir, key, label, true).signatureFile();
  }

  static String keyEntry(String name, MinisignSecretKey key, String extra) {
    return "[[keys]]\nname = \""
        + name
        + "\"\npublic_key = \""
        + key.publicKey().encoded()
        + "\"\n"
        + extra
        + "\n";
  }

  static Policy policy(String toml) throws PolicyException {
    return Policy.parse("test-policy.toml", toml.getBytes(StandardCharsets.UTF_8));
  }

  /** threshold 1, the given keys trusted, defaults allow read_blockchain + subscribe_events. */
  static Policy trusting(MinisignSecretKey... keys) throws PolicyException {
    StringBuilder sb = new StringBuilder("threshold = 1\n");
    for (int i = 0; i < keys.length; i++) {
      sb.append(keyEntry("k" + i, keys[i], ""));
    }
    sb.append("[defaults]\ncapabilities = [\"read_blockchain\", \"subscribe_events\"]\n");
    return policy(sb.toString());
  }

  static Admission admission(Policy policy, Path state) throws AdmissionStateException {
    return Admission.builder().policy(policy).stateDir(state).clock(CLOCK).build();
  }
}
