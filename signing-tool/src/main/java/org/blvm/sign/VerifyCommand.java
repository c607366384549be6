package org.blvm.sign;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.blvm.policy.Admission;
import org.blvm.policy.AdmissionException;
import org.blvm.policy.AdmittedModule;
import org.blvm.policy.KeyFormatException;
import org.blvm.policy.MinisignPublicKey;
import org.blvm.policy.Policy;
import org.blvm.policy.PolicyException;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code blvm-sign verify}: would this module be admitted? */
@Command(
    name = "verify",
    mixinStandardHelpOptions = true,
    header = "Checks whether the loader would admit a module. Writes nothing.",
    description = {
      "Checks a module directory as the loader's admission does: the signatures over module.toml,"
          + " the threshold, the trusted comment, every file's pinned SHA-256 and size (no file"
          + " added, removed or changed, no symbolic link), and (with --policy) the policy's key"
          + " windows, revocations and capability rules.",
      "Writes nothing."
    })
final class VerifyCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  static final class Trust {
    @Option(
        names = {"-p", "--public-key"},
        paramLabel = "FILE",
        description = "A trusted public key file (repeatable).")
    List<Path> keyFiles = new ArrayList<>();

    @Option(
        names = {"-P", "--public-key-string"},
        paramLabel = "BASE64",
        description = "A trusted public key as a string (repeatable).")
    List<String> keyStrings = new ArrayList<>();

    @Option(
        names = "--policy",
        paramLabel = "FILE",
        description = "Use the operator policy file instead of keys.")
    Path policy;
  }

  @ArgGroup(exclusive = false, multiplicity = "1")
  Trust trust;

  @Option(
      names = "--threshold",
      paramLabel = "K",
      defaultValue = "1",
      description = "Signatures needed with -p/-P (default ${DEFAULT-VALUE}).")
  int threshold;

  @Option(
      names = "--state",
      paramLabel = "DIR",
      description = "Also check the loader's version ratchet in DIR (read only).")
  Path state;

  @Parameters(paramLabel = "MODULE_DIR", description = "Directory holding module.toml.")
  Path moduleDir;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    Policy policy;
    try {
      if (trust.policy != null) {
        if (!trust.keyFiles.isEmpty() || !trust.keyStrings.isEmpty()) {
          return Cli.fail(spec, ExitCodes.USAGE, "use either --policy or -p/-P, not both");
        }
        policy = Policy.read(trust.policy);
      } else {
        List<MinisignPublicKey> keys = new ArrayList<>();
        for (Path f : trust.keyFiles) {
          keys.add(MinisignPublicKey.read(f));
        }
        for (String s : trust.keyStrings) {
          keys.add(MinisignPublicKey.parse(s, "-P"));
        }
        if (threshold < 1 || threshold > keys.size()) {
          return Cli.fail(
              spec,
              ExitCodes.USAGE,
              "--threshold must be from 1 to the number of keys (" + keys.size() + ")");
        }
        policy = Policy.trusting(keys, threshold);
      }
    } catch (PolicyException e) {
      return Cli.fail(spec, ExitCodes.INPUT, e.getMessage());
    } catch (KeyFormatException e) {
      return Cli.fail(spec, ExitCodes.INPUT, e.getMessage());
    } catch (IOException e) {
      return Cli.fail(spec, ExitCodes.INPUT, "cannot read " + Cli.describe(e));
    }
    try {
      Admission.Builder b = Admission.builder().policy(policy);
      AdmittedModule a = (state == null ? b : b.stateDir(state)).build().check(moduleDir);
      out.println("OK: " + a.manifest().label() + " would be admitted");
      out.println("  signed by:  " + Describe.signers(policy, a));
      Describe.tree(out, "  files:", 14, a.manifest(), a.tree().files());
      out.println("  manifest:   sha256 " + a.manifestSha256());
      if (trust.policy != null) {
        out.println("  granted:    " + Describe.caps(a.grantedCapabilities()));
        if (!a.droppedCapabilities().isEmpty()) {
          out.println(
              "  dropped:    "
                  + Describe.caps(a.droppedCapabilities())
                  + " (on_disallowed_capability = \"drop\")");
        }
      }
      if (state == null) {
        out.println("  (version ratchet not checked: give --state DIR to check it)");
      }
      out.flush();
      return ExitCodes.OK;
    } catch (AdmissionException e) {
      return Cli.fail(
          spec,
          ExitCodes.REFUSED,
          "REFUSED (" + e.getClass().getSimpleName() + "): " + e.getMessage());
    }
  }
}
