package org.blvm.sign;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import org.blvm.policy.Admission;
import org.blvm.policy.MinisignSecretKey;
import org.blvm.policy.ModuleSigner;
import org.blvm.policy.Policy;

/**
 * Not a test: admission time of a module with a 50 MiB binary (or the size given) against {@code
 * sha256sum} of the same file, in one run, on a warm page cache (docs/signing.md, Performance).
 *
 * <pre>
 * mvn -B -q -pl signing-tool -am package -DskipTests
 * java -cp signing-tool/target/blvm-sign-all.jar:signing-tool/target/test-classes \
 *     org.blvm.sign.AdmissionTiming [MiB]
 * </pre>
 */
public final class AdmissionTiming {
  private static final int RUNS = 9;

  private AdmissionTiming() {}

  public static void main(String[] args) throws Exception {
    int mb = args.length > 0 ? Integer.parseInt(args[0]) : 50;
    Path tmp = Files.createTempDirectory("blvm-admission-timing");
    Path dir = Files.createDirectories(tmp.resolve("modules").resolve("big"));
    byte[] bin = new byte[mb << 20];
    new SecureRandom().nextBytes(bin);
    Path binary = Files.write(dir.resolve("big.bin"), bin);
    Files.writeString(
        dir.resolve("module.toml"),
        "name = \"big\"\nversion = \"1.0.0\"\nruntime = \"native\"\nentry = \"big.bin\"\n",
        StandardCharsets.UTF_8);
    MinisignSecretKey key = MinisignSecretKey.generate(new SecureRandom());
    ModuleSigner.sign(dir, key, null, true);
    Policy policy = Policy.trusting(List.of(key.publicKey()), 1);

    double[] sha = new double[RUNS];
    double[] admitCold = new double[RUNS];
    double[] admitStored = new double[RUNS];
    double[] check = new double[RUNS];
    for (int i = -3; i < RUNS; i++) {
      long t0 = System.nanoTime();
      Process p = new ProcessBuilder("sha256sum", binary.toString()).start();
      p.getInputStream().readAllBytes();
      if (p.waitFor() != 0) {
        throw new IllegalStateException("sha256sum failed");
      }
      long t1 = System.nanoTime();
      Admission fresh =
          Admission.builder().policy(policy).stateDir(tmp.resolve("state-" + i)).build();
      long t2 = System.nanoTime();
      fresh.admit(dir);
      long t3 = System.nanoTime();
      fresh.admit(dir);
      long t4 = System.nanoTime();
      Admission.builder().policy(policy).build().check(dir);
      long t5 = System.nanoTime();
      if (i >= 0) {
        sha[i] = (t1 - t0) / 1e6;
        admitCold[i] = (t3 - t2) / 1e6;
        admitStored[i] = (t4 - t3) / 1e6;
        check[i] = (t5 - t4) / 1e6;
      }
    }
    double s = median(sha);
    System.out.printf("binary: %d MiB, %d runs each, medians (warm page cache)%n", mb, RUNS);
    System.out.printf("sha256sum                              %8.1f ms%n", s);
    print("admit, first time (verify + copy + re-read)", median(admitCold), s);
    print("admit, already in the store", median(admitStored), s);
    print("check (verify + one hash pass, no copy)", median(check), s);
    deleteTree(tmp);
  }

  private static void print(String what, double ms, double base) {
    System.out.printf("%-40s %8.1f ms  = %.2f x sha256sum%n", what, ms, ms / base);
  }

  private static double median(double[] v) {
    double[] c = v.clone();
    Arrays.sort(c);
    return c[c.length / 2];
  }

  private static void deleteTree(Path root) throws java.io.IOException {
    try (var s = Files.walk(root)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        p.toFile().setWritable(true);
        Files.deleteIfExists(p);
      }
    }
  }
}
