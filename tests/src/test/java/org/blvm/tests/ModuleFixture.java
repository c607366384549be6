package org.blvm.tests;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.List;
import org.blvm.policy.Admission;
import org.blvm.policy.AdmissionException;
import org.blvm.policy.MinisignSecretKey;
import org.blvm.policy.ModuleSigner;
import org.blvm.policy.Policy;

/**
 * Lays out real module directories that run the SDK test module jar, signed with a key generated
 * for this test run (never stored), and the admission that trusts exactly that key.
 */
final class ModuleFixture {
  private static final MinisignSecretKey KEY = MinisignSecretKey.generate(new SecureRandom());

  private ModuleFixture() {}

  /**
   * An admission trusting the run's key, with its state (ratchet, binary store) under {@code dir}.
   */
  static Admission admission(Path stateDir) {
    try {
      return Admission.builder()
          .policy(Policy.trusting(List.of(KEY.publicKey()), 1))
          .stateDir(stateDir)
          .build();
    } catch (AdmissionException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * An admission under a real operator policy: the run's key as the only trusted key (threshold 1),
   * followed by {@code policyToml} ({@code [defaults]}, {@code [modules.<name>]} sections).
   */
  static Admission admission(Path stateDir, String policyToml) {
    String toml = policyText(policyToml);
    try {
      return Admission.builder()
          .policy(
              Policy.parse(
                  "test-policy.toml", toml.getBytes(java.nio.charset.StandardCharsets.UTF_8)))
          .stateDir(stateDir)
          .build();
    } catch (AdmissionException | org.blvm.policy.PolicyException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * A policy file's text: the run's key as the only trusted key (threshold 1), followed by {@code
   * policyToml}.
   */
  static String policyText(String policyToml) {
    return policyHeader() + policyToml;
  }

  /** The top of a policy file trusting the run's key (threshold 1), before any table. */
  static String policyHeader() {
    return "threshold = 1\n[[keys]]\nname = \"test-run\"\npublic_key = \""
        + KEY.publicKey().encoded()
        + "\"\n";
  }

  /** Signs (and pins) the module in {@code dir} with the run's key. */
  static void sign(Path dir) throws IOException {
    try {
      ModuleSigner.sign(dir, KEY, null, true);
    } catch (AdmissionException e) {
      throw new IOException(e);
    }
  }

  /** The key the run's modules are signed with (for tests that install further versions). */
  static MinisignSecretKey key() {
    return KEY;
  }

  static Path testModuleJar() {
    String p = System.getProperty("blvm.testModuleJar");
    if (p == null || !Files.isRegularFile(Path.of(p))) {
      throw new IllegalStateException(
          "blvm.testModuleJar does not name the built test module jar (found "
              + p
              + "); run through Maven: mvn verify");
    }
    return Path.of(p);
  }

  /** Installs the test module as {@code name} with the given capabilities and config lines. */
  static void install(Path modulesDir, String name, String capabilities, String configToml)
      throws IOException {
    install(modulesDir, name, capabilities, configToml, KEY);
  }

  /** {@link #install(Path, String, String, String)}, signed with {@code key}. */
  static void install(
      Path modulesDir, String name, String capabilities, String configToml, MinisignSecretKey key)
      throws IOException {
    install(modulesDir, name, "1.0.0", capabilities, configToml, key);
  }

  /**
   * Installs (or overwrites in place) version {@code version} of the test module as {@code name}.
   */
  static void install(
      Path modulesDir,
      String name,
      String version,
      String capabilities,
      String configToml,
      MinisignSecretKey key)
      throws IOException {
    installWith(modulesDir, name, version, capabilities, "", configToml, key);
  }

  /**
   * {@link #install(Path, String, String, String, String, MinisignSecretKey)} with {@code
   * manifestToml} (top-level manifest keys, e.g. {@code subscribes}) added to the manifest.
   */
  static void installWith(
      Path modulesDir,
      String name,
      String version,
      String capabilities,
      String manifestToml,
      String configToml,
      MinisignSecretKey key)
      throws IOException {
    Path dir = modulesDir.resolve(name);
    Files.createDirectories(dir);
    Files.copy(testModuleJar(), dir.resolve("module.jar"), StandardCopyOption.REPLACE_EXISTING);
    Files.writeString(
        dir.resolve("module.toml"),
        "name = \""
            + name
            + "\"\nversion = \""
            + version
            + "\"\nruntime = \"java\"\nentry = \"module.jar\"\n"
            + "capabilities = ["
            + capabilities
            + "]\nprovides = [\"echo\", \"call_back\"]\npublishes = [\"test.block_seen\", \"test.probe\"]\n"
            + manifestToml
            + "\n[config]\n"
            + configToml
            + "\n");
    try {
      ModuleSigner.sign(dir, key, null, true);
    } catch (AdmissionException e) {
      throw new IOException(e);
    }
  }

  /**
   * The home directory {@code tmp/name} of a {@code blvm-node} process for an end-to-end test, with
   * an empty {@code modules/}: checks that the host can sandbox (skips or fails the test otherwise)
   * and lets the sandbox's user enter {@code tmp} (mode 0711).
   */
  static Path nodeHome(Path tmp, String name) throws IOException {
    SandboxFixture.requireSandbox();
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwx--x--x"));
    Path home = Files.createDirectories(tmp.resolve(name));
    Files.createDirectories(home.resolve("modules"));
    return home;
  }

  /**
   * The module directory built by Maven that the system property {@code property} names (e.g.
   * {@code blvm.meshModule} is {@code modules/blvm-mesh/target/module}).
   */
  static Path builtModuleDir(String property) {
    Path built = Path.of(System.getProperty(property, "missing"));
    if (!Files.isRegularFile(built.resolve("module.toml"))) {
      throw new IllegalStateException(
          property
              + " does not name the built module directory (found "
              + built
              + "); run through Maven: mvn verify");
    }
    return built;
  }

  /**
   * Installs a module directory built by Maven ({@code property} names it, e.g. {@code
   * blvm.stratumModule}) as {@code name}: its jar {@code jar} copied, its manifest's name replaced,
   * signed with the run's key.
   */
  static void installBuilt(String property, String jar, Path modulesDir, String name)
      throws IOException {
    Path built = builtModuleDir(property);
    Path dir = Files.createDirectories(modulesDir.resolve(name));
    Files.copy(built.resolve(jar), dir.resolve(jar), StandardCopyOption.REPLACE_EXISTING);
    String manifest = Files.readString(built.resolve("module.toml"));
    Files.writeString(
        dir.resolve("module.toml"),
        manifest.replaceFirst("(?m)^name = \"[^\"]*\"", "name = \"" + name + "\""));
    sign(dir);
  }
}
