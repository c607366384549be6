package org.blvm.sign;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.Callable;
import org.blvm.policy.Admission;
import org.blvm.policy.AdmissionException;
import org.blvm.policy.IndexException;
import org.blvm.policy.IndexVerifier;
import org.blvm.policy.ModuleIndex;
import org.blvm.policy.ModuleInstaller;
import org.blvm.policy.Policy;
import org.blvm.policy.PolicyException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code blvm-loader install NAME[@VERSION] --index FILE|DIR}. */
@Command(
    name = "install",
    mixinStandardHelpOptions = true,
    header = "Installs a module from a signed module index.",
    description = {
      "Verifies the index (signatures by the policy's [index] keys, expiry, not older than the"
          + " newest index of its name seen), finds the module (the highest version without"
          + " @VERSION), copies its directory into a private staging directory in the state"
          + " directory, checks the copy's digest against the index entry, runs admission's"
          + " checks on it (signatures, threshold, version ratchet, capabilities, files) and"
          + " renames it into the modules directory in one step.",
      "Never replaces a module directory that exists (blvm-loader modules upgrade does that);"
          + " an install that fails or is stopped leaves the modules directory as it was. Needs"
          + " no running node: run it as the node's user. The node starts the module at its next"
          + " start, or now with blvm-loader modules start NAME."
    })
final class InstallCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Parameters(
      paramLabel = "NAME[@VERSION]",
      description = "The module, and optionally its version.")
  String module;

  @Mixin IndexSource source;

  @Option(
      names = "--mirror",
      paramLabel = "DIR",
      description = "Find the entries' paths in DIR instead of the index's directory.")
  Path mirror;

  @Mixin LoaderPaths paths;

  Clock clock = Clock.systemUTC();

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    int at = module.indexOf('@');
    String name = at < 0 ? module : module.substring(0, at);
    String version = at < 0 ? null : module.substring(at + 1);
    if (name.isEmpty() || (version != null && version.isEmpty())) {
      return Cli.fail(
          spec, ExitCodes.USAGE, "expected NAME or NAME@VERSION, found \"" + module + "\"");
    }
    Path state;
    try {
      state = paths.existingState();
    } catch (IOException e) {
      return Cli.fail(spec, ExitCodes.INPUT, Cli.describe(e));
    }
    Policy policy;
    Admission admission;
    try {
      policy = Policy.read(paths.policy());
      admission = Admission.builder().policy(policy).clock(clock).stateDir(state).build();
    } catch (PolicyException e) {
      return Cli.fail(spec, ExitCodes.INPUT, e.getMessage());
    } catch (AdmissionException e) {
      return Cli.fail(spec, ExitCodes.INPUT, e.getMessage());
    } catch (IOException e) {
      return Cli.fail(spec, ExitCodes.INPUT, "cannot read the policy " + Cli.describe(e));
    }
    try {
      IndexVerifier.Verified v = source.verify(policy, state, clock);
      ModuleIndex.Entry e = ModuleInstaller.find(v, name, version);
      Path root = mirror != null ? mirror : v.file().toAbsolutePath().getParent();
      ModuleInstaller.Installed done =
          ModuleInstaller.install(v, e, root, paths.modules(), state, admission);
      out.println("installed " + e.name() + " " + e.version() + " into " + done.directory());
      out.println(
          "  index:      "
              + v.index().name()
              + " version "
              + v.index().version()
              + ", signed by "
              + Describe.indexSigners(policy.indexTrust(), v));
      out.println("  digest:     sha256 " + e.sha256());
      out.println("  signed by:  " + Describe.signers(policy, done.admitted()));
      out.println("  granted:    " + Describe.caps(done.admitted().grantedCapabilities()));
      out.println(
          "  next:       blvm-loader modules start "
              + e.name()
              + " (a running node), or it starts with the node");
      out.flush();
      return ExitCodes.OK;
    } catch (IndexException e) {
      return Cli.fail(spec, ExitCodes.REFUSED, "REFUSED: " + e.getMessage());
    } catch (IOException e) {
      return Cli.fail(spec, ExitCodes.INPUT, "cannot read " + Cli.describe(e));
    }
  }
}
