package org.blvm.tests;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** Lays out real module directories that run the SDK test module jar. */
final class ModuleFixture {
  private ModuleFixture() {}

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
    Path dir = modulesDir.resolve(name);
    Files.createDirectories(dir);
    Files.copy(testModuleJar(), dir.resolve("module.jar"), StandardCopyOption.REPLACE_EXISTING);
    Files.writeString(
        dir.resolve("module.toml"),
        "name = \""
            + name
            + "\"\nversion = \"1.0.0\"\nruntime = \"java\"\nentry = \"module.jar\"\n"
            + "capabilities = ["
            + capabilities
            + "]\nprovides = [\"echo\", \"call_back\"]\n[config]\n"
            + configToml
            + "\n");
  }
}
