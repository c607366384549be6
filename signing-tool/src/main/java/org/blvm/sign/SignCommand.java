package org.blvm.sign;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.blvm.policy.AdmissionException;
import org.blvm.policy.KeyFormatException;
import org.blvm.policy.MinisignSecretKey;
import org.blvm.policy.ModuleSigner;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code blvm-sign sign}: pin the module's files in the manifest and sign the manifest. */
@Command(
    name = "sign",
    mixinStandardHelpOptions = true,
    header = "Pins every file of a module in module.toml and signs module.toml.",
    description = {
      "Hashes every file of the module directory (all but module.toml and its signature files;"
          + " symbolic links, devices, fifos and sockets are refused), writes each SHA-256 and size"
          + " into module.toml's [files] table and signs module.toml (algorithm ED, trusted comment"
          + " \"blvm-module/1 name=<name> version=<version>\").",
      "Writes module.toml.minisig, or module.toml.<signer>.minisig with --signer."
    })
final class SignCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(
      names = {"-s", "--secret-key"},
      required = true,
      paramLabel = "FILE",
      description = "Secret key (blvm-sign keygen or minisign -G).")
  Path secretKey;

  @Option(
      names = "--signer",
      paramLabel = "LABEL",
      description = "Write module.toml.LABEL.minisig (one file per signer for k-of-n).")
  String signer;

  @Option(
      names = "--keep-manifest",
      description = "Never modify module.toml: fail unless its pins already match the directory.")
  boolean keepManifest;

  @Mixin Passwords passwords;

  @Parameters(paramLabel = "MODULE_DIR", description = "Directory holding module.toml.")
  Path moduleDir;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    if (signer != null) {
      try {
        ModuleSigner.signatureFile(moduleDir, signer);
      } catch (IllegalArgumentException e) {
        return Cli.fail(spec, ExitCodes.USAGE, e.getMessage());
      }
    }
    try (MinisignSecretKey key = SecretKeys.load(secretKey, passwords, err)) {
      ModuleSigner.Result r = ModuleSigner.sign(moduleDir, key, signer, !keepManifest);
      out.println("module:          " + r.manifest().label());
      Describe.tree(out, "files:", 17, r.manifest(), r.manifest().tree());
      out.println(
          "manifest:        "
              + (r.manifestChanged() ? "pins written to module.toml" : "pins unchanged"));
      out.println("signature:       " + r.signatureFile() + " by key " + key.keyId());
      out.println("trusted comment: " + r.signature().trustedComment());
      out.flush();
      for (Path stale : r.staleSignatures()) {
        err.println(
            "warning: "
                + stale
                + " was made over the old manifest and no longer verifies; its signer must sign"
                + " again");
      }
      err.flush();
      return ExitCodes.OK;
    } catch (Passwords.Unavailable e) {
      return Cli.fail(spec, ExitCodes.INPUT, e.getMessage());
    } catch (KeyFormatException e) {
      return Cli.fail(spec, ExitCodes.INPUT, e.getMessage());
    } catch (AdmissionException e) {
      return Cli.fail(spec, ExitCodes.INPUT, e.getMessage());
    } catch (IOException e) {
      return Cli.fail(spec, ExitCodes.INPUT, Cli.describe(e));
    }
  }
}
