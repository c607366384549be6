package org.blvm.sign;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.blvm.policy.Dependency;
import org.blvm.policy.MalformedSignatureException;
import org.blvm.policy.ManifestException;
import org.blvm.policy.MinisignSignature;
import org.blvm.policy.ModuleManifest;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code blvm-sign inspect}: what a module directory claims (nothing is verified). */
@Command(
    name = "inspect",
    mixinStandardHelpOptions = true,
    header = "Prints what a module claims, without verifying it.",
    description = {
      "Prints a module's name, version, pinned files, declared capabilities and the signers"
          + " named by its signature files.",
      "Nothing is verified: use 'verify' for that."
    })
final class InspectCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Parameters(paramLabel = "MODULE_DIR", description = "Directory holding module.toml.")
  Path moduleDir;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    ModuleManifest m;
    try {
      m = ModuleManifest.read(moduleDir.resolve("module.toml"));
    } catch (ManifestException e) {
      return Cli.fail(spec, ExitCodes.INPUT, e.getMessage());
    }
    out.println("UNVERIFIED contents of " + moduleDir + " (use 'blvm-sign verify' to check them)");
    out.println("name:            " + m.name());
    out.println("version:         " + m.version());
    if (m.description() != null) {
      out.println("description:     " + m.description());
    }
    out.println("runtime:         " + m.runtime().wireName());
    out.println(
        "entry:           "
            + m.entry()
            + (m.mainClass() == null ? "" : " (" + m.mainClass() + ")"));
    if (!m.args().isEmpty()) {
      out.println("arguments:       " + m.args());
    }
    if (m.tree() == null) {
      out.println("files:           (none pinned: run 'blvm-sign sign')");
    } else {
      Describe.tree(out, "files:", 17, m, m.tree());
    }
    out.println("capabilities:    " + Describe.caps(m.capabilities()));
    out.println(
        "provides:        "
            + (m.provides().isEmpty() ? "(none)" : String.join(", ", m.provides())));
    out.println(
        "publishes:       "
            + (m.publishes().isEmpty() ? "(none)" : String.join(", ", m.publishes())));
    List<String> deps = new ArrayList<>();
    for (Dependency d : m.dependencies()) {
      deps.add(d.toString());
    }
    out.println("dependencies:    " + (deps.isEmpty() ? "(none)" : String.join("; ", deps)));
    out.println(
        "sandbox profile: "
            + (m.sandboxProfile() == null ? "(policy decides)" : m.sandboxProfile()));
    out.println("signatures:");
    int n = 0;
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(moduleDir, "module.toml*.minisig")) {
      List<Path> files = new ArrayList<>();
      ds.forEach(files::add);
      files.sort(null);
      for (Path f : files) {
        n++;
        out.println("  " + f.getFileName() + ": " + describe(f));
      }
    } catch (IOException e) {
      return Cli.fail(spec, ExitCodes.INPUT, "cannot list the signatures: " + Cli.describe(e));
    }
    if (n == 0) {
      out.println("  (none)");
    }
    out.flush();
    return ExitCodes.OK;
  }

  private static String describe(Path f) {
    try {
      if (!Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)) {
        return "not a regular file";
      }
      byte[] b;
      try (InputStream in = Files.newInputStream(f, LinkOption.NOFOLLOW_LINKS)) {
        b = in.readNBytes(MinisignSignature.MAX_FILE_BYTES + 1);
      }
      MinisignSignature s = MinisignSignature.parse(f, b);
      return "key "
          + s.keyId()
          + ", algorithm "
          + (s.algorithm() == MinisignSignature.Algorithm.ED ? "ED" : "Ed (legacy)")
          + ", trusted comment \""
          + s.trustedComment()
          + "\"";
    } catch (MalformedSignatureException e) {
      return "MALFORMED: " + e.reason();
    } catch (IOException e) {
      return "unreadable: " + Cli.describe(e);
    }
  }
}
