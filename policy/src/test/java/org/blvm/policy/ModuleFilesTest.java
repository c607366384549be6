package org.blvm.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ModuleFilesTest {
  @TempDir Path tmp;

  @Test
  void digest_isSha256OfWhatSha256sumPrintsForTheFilesInPathOrder() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("m"));
    Files.createDirectories(dir.resolve("lib"));
    Files.writeString(dir.resolve("main.py"), "print(1)\n");
    Files.writeString(dir.resolve("lib/a.py"), "a = 1\n");
    Files.write(dir.resolve("lib/B.bin"), Fixtures.binary(5000, 1));
    ModuleFiles files = FileTreeReader.read(dir, null, true, null, FileTreeReader.Observer.NONE);
    List<String> cmd = new ArrayList<>(List.of("sha256sum"));
    cmd.addAll(files.pins().keySet());

    Process p = new ProcessBuilder(cmd).directory(dir.toFile()).start();
    byte[] listed = p.getInputStream().readAllBytes();

    assertEquals(0, p.waitFor());
    assertEquals(new String(listed, StandardCharsets.US_ASCII), files.canonicalList());
    assertEquals(Sha256.digest(listed), files.digest());
    assertEquals(List.of("lib/B.bin", "lib/a.py", "main.py"), List.copyOf(files.pins().keySet()));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "main.py",
        "lib/blvm.py",
        "node_modules/@scope/pkg-1.0/index.js",
        ".hidden",
        "a+b@c_d-e.f",
        "module.toml.bak",
        "sub/module.toml"
      })
  void pathProblem_allowed(String path) {
    assertNull(ModuleFiles.pathProblem(path));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "/etc/passwd",
        "../x",
        "a/../b",
        "a/./b",
        "a//b",
        "a/",
        "read me",
        "tab\tname",
        "back\\slash",
        "é.py",
        "module.toml",
        "module.toml.minisig",
        "module.toml.alice.minisig"
      })
  void pathProblem_refused(String path) {
    assertNotNull(ModuleFiles.pathProblem(path), path);
  }

  @Test
  void pathProblem_tooDeepOrLong_refused() {
    assertNull(ModuleFiles.pathProblem("a/".repeat(ModuleFiles.MAX_DEPTH - 1) + "a"));
    assertNotNull(ModuleFiles.pathProblem("a/".repeat(ModuleFiles.MAX_DEPTH) + "a"));
    assertNotNull(ModuleFiles.pathProblem("x".repeat(256)));
    assertNotNull(ModuleFiles.pathProblem(("y".repeat(200) + "/").repeat(5) + "z".repeat(30)));
  }

  @Test
  void new_totalOverTheBound_refused() {
    TreeMap<String, BinaryPin> pins = new TreeMap<>();
    Sha256 sha = Sha256.digest(new byte[0]);
    pins.put("a", new BinaryPin(sha, ModuleFiles.MAX_TOTAL_BYTES));
    pins.put("b", new BinaryPin(sha, 1));

    IllegalArgumentException e =
        org.junit.jupiter.api.Assertions.assertThrows(
            IllegalArgumentException.class, () -> new ModuleFiles(pins));

    assertEquals(
        "the files hold more than " + ModuleFiles.MAX_TOTAL_BYTES + " bytes together",
        e.getMessage());
  }
}
