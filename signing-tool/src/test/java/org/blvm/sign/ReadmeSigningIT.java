package org.blvm.sign;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.blvm.policy.MinisignPublicKey;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's "Signing a module" commands, exactly as written, in a copy of the files they name:
 * shell lines run in bash, {@code bin/blvm-sign} and {@code bin/blvm-loader} lines run in-process
 * (the same command classes the launchers run), {@code minisign} is the real one.
 */
class ReadmeSigningIT {
  @TempDir Path tmp;

  @BeforeAll
  static void sayWhenMinisignIsMissing() {
    MinisignInteropIT.sayWhenMinisignIsMissing("ReadmeSigningIT");
  }

  @BeforeEach
  void requireMinisign() {
    Assumptions.assumeTrue(
        Files.isExecutable(MinisignInteropIT.MINISIGN), MinisignInteropIT.MINISIGN + " not found");
  }

  /** The checkout's root (surefire runs in signing-tool/). */
  private static Path repo() {
    return Path.of("").toAbsolutePath().getParent();
  }

  /** The lines of the first sh block after "## Signing a module", comments removed. */
  static List<String> readmeCommands() throws IOException {
    String readme = Files.readString(repo().resolve("README.md"));
    int section = readme.indexOf("## Signing a module");
    assertTrue(section >= 0, "README.md has no \"## Signing a module\"");
    int start = readme.indexOf("```sh\n", section) + "```sh\n".length();
    int end = readme.indexOf("```", start);
    List<String> out = new ArrayList<>();
    for (String line : readme.substring(start, end).split("\n")) {
      int hash = line.indexOf(" #");
      String cmd = (hash >= 0 ? line.substring(0, hash) : line).trim();
      if (!cmd.isEmpty()) {
        out.add(cmd);
      }
    }
    return out;
  }

  @Test
  void readmeSigningCommands_asWritten_signVerifyAndExplainTheRefusal() throws Exception {
    copyTree(repo().resolve("examples/sign-me"), tmp.resolve("examples/sign-me"));
    copyTree(repo().resolve("examples/policy"), tmp.resolve("examples/policy"));
    List<String> commands = readmeCommands();
    List<String> ran = new ArrayList<>();
    for (String cmd : commands) {
      String[] words = cmd.split("\\s+");
      if (words[0].equals("bin/blvm-sign") || words[0].equals("bin/blvm-loader")) {
        String[] args = new String[words.length - 1];
        for (int i = 1; i < words.length; i++) {
          args[i - 1] = inTmp(words[i]);
        }
        Run r = words[0].equals("bin/blvm-sign") ? Run.sign(args) : Run.loader(args);
        String what = words[0].substring(4) + " " + words[1];
        if (what.equals("blvm-loader policy")) {
          // the README says: REFUSE, the example policy does not trust me.pub
          assertEquals(ExitCodes.REFUSED, r.code(), cmd + "\n" + r);
          assertTrue(
              r.out().contains("module sign-me: REFUSE (UntrustedKeyException)"), cmd + "\n" + r);
        } else {
          assertEquals(ExitCodes.OK, r.code(), cmd + "\n" + r);
        }
        ran.add(what);
      } else {
        assertEquals(0, bash(cmd), cmd);
        ran.add(words[0]);
      }
    }
    assertEquals(
        List.of(
            "mkdir",
            "blvm-sign keygen",
            "blvm-sign sign",
            "blvm-sign verify",
            "blvm-sign inspect",
            "blvm-loader policy",
            "minisign"),
        ran);
    // "put the second line of me.pub under its [[keys]] and the module is admitted"
    Path policy = tmp.resolve("examples/policy/policy.toml");
    Files.writeString(
        policy,
        Files.readString(policy)
            + "\n[[keys]]\nname = \"me\"\npublic_key = \""
            + MinisignPublicKey.read(tmp.resolve("me.pub")).encoded()
            + "\"\n");
    Run admitted =
        Run.loader(
            "policy",
            "check",
            policy.toString(),
            "--modules",
            tmp.resolve("my-modules").toString());
    assertEquals(ExitCodes.OK, admitted.code(), admitted.toString());
    assertTrue(admitted.out().contains("module sign-me 0.1.0: ADMIT"), admitted.toString());
    // the example itself stays as shipped
    assertEquals(
        Files.readString(repo().resolve("examples/sign-me/module.toml")),
        Files.readString(tmp.resolve("examples/sign-me/module.toml")));
  }

  /** A README argument that names a file: the same relative path in the test's directory. */
  private String inTmp(String word) {
    return !word.startsWith("-") && (word.contains("/") || word.contains("."))
        ? tmp.resolve(word).toString()
        : word;
  }

  private int bash(String cmd) throws IOException, InterruptedException {
    Process p =
        new ProcessBuilder("bash", "-c", cmd)
            .directory(tmp.toFile())
            .redirectErrorStream(true)
            .start();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      fail(cmd + " timed out");
    }
    if (p.exitValue() != 0) {
      System.err.println(cmd + ":\n" + out);
    }
    return p.exitValue();
  }

  private static void copyTree(Path from, Path to) throws IOException {
    try (Stream<Path> s = Files.walk(from)) {
      for (Path p : s.toList()) {
        Path target = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(target);
        } else {
          Files.copy(p, target, StandardCopyOption.COPY_ATTRIBUTES);
        }
      }
    }
  }
}
