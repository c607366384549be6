package org.blvm.sign;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import org.blvm.policy.Admission;
import org.blvm.policy.AdmissionException;
import org.blvm.policy.AdmittedModule;
import org.blvm.policy.ExposureFacts;
import org.blvm.policy.ExposureReport;
import org.blvm.policy.LimitSettings;
import org.blvm.policy.ModulePolicy;
import org.blvm.policy.Policy;
import org.blvm.policy.PolicyException;
import org.blvm.policy.SecurityExposure;
import org.blvm.policy.TrustedKey;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code blvm-loader policy check FILE [--modules DIR]}. */
@Command(
    name = "check",
    mixinStandardHelpOptions = true,
    header = "Validates a policy file and checks modules against it.",
    description = {
      "Validates a policy file and prints every problem (key and line).",
      "With --modules, runs admission (read only) on each module directory and prints what each"
          + " module would get and why, or why it would be refused, and each admitted module's"
          + " security exposure (docs/security-score.md)."
    })
final class PolicyCheckCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Parameters(paramLabel = "FILE", description = "The policy file (TOML).")
  Path file;

  @Option(
      names = "--modules",
      paramLabel = "DIR",
      description = "Directory of module directories (<DIR>/<name>/module.toml).")
  Path modules;

  @Option(
      names = "--state",
      paramLabel = "DIR",
      description = "The loader's state directory: also check the version ratchet (read only).")
  Path state;

  Clock clock = Clock.systemUTC();

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    Policy policy;
    try {
      policy = Policy.read(file);
    } catch (PolicyException e) {
      out.println(e.getMessage());
      out.flush();
      return ExitCodes.REFUSED;
    } catch (IOException e) {
      return Cli.fail(spec, ExitCodes.INPUT, "cannot read the policy " + Cli.describe(e));
    }
    Instant now = clock.instant();
    out.println(file + ": valid");
    out.println("threshold: " + policy.threshold());
    if (policy.trustedKeys().isEmpty()) {
      out.println("keys: none trusted: only modules with allow_unsigned = true can be admitted");
    }
    for (TrustedKey k : policy.trustedKeys()) {
      String status =
          policy.isRevoked(k.keyId()) ? "REVOKED" : k.validAt(now) ? "valid now" : "NOT valid now";
      out.println(
          "key "
              + k.name()
              + " ("
              + k.keyId()
              + "): "
              + status
              + (k.notBefore() == null ? "" : ", from " + k.notBefore())
              + (k.notAfter() == null ? "" : ", until " + k.notAfter()));
    }
    if (!policy.indexTrust().keys().isEmpty()) {
      out.println("index threshold: " + policy.indexTrust().threshold());
    }
    for (TrustedKey k : policy.indexTrust().keys()) {
      out.println(
          "index key "
              + k.name()
              + " ("
              + k.keyId()
              + "): "
              + (policy.isRevoked(k.keyId())
                  ? "REVOKED"
                  : k.validAt(now) ? "valid now" : "NOT valid now"));
    }
    if (modules == null) {
      out.println("defaults (modules without a section):");
      printPolicy(out, policy.defaults());
      for (String name : policy.modules().keySet()) {
        out.println("section modules." + name + ":");
        printPolicy(out, policy.forModule(name));
      }
      out.flush();
      return ExitCodes.OK;
    }
    List<Path> dirs = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(modules)) {
      for (Path d : ds) {
        if (Files.isDirectory(d, LinkOption.NOFOLLOW_LINKS)) {
          dirs.add(d);
        }
      }
    } catch (IOException e) {
      return Cli.fail(spec, ExitCodes.INPUT, "cannot list the modules: " + Cli.describe(e));
    }
    dirs.sort(null);
    Admission admission;
    try {
      Admission.Builder b = Admission.builder().policy(policy).clock(clock);
      admission = (state == null ? b : b.stateDir(state)).build();
    } catch (AdmissionException e) {
      return Cli.fail(spec, ExitCodes.INPUT, e.getMessage());
    }
    int refused = 0;
    List<ExposureReport> exposures = new ArrayList<>();
    TreeSet<String> seen = new TreeSet<>();
    for (Path d : dirs) {
      String name = d.getFileName().toString();
      seen.add(name);
      ModulePolicy mp = policy.forModule(name);
      try {
        AdmittedModule a = admission.check(d);
        out.println("module " + name + " " + a.manifest().version() + ": ADMIT");
        out.println("  signed by:     " + Describe.signers(policy, a));
        Describe.tree(out, "  files:", 17, a.manifest(), a.tree().files());
        out.println("  granted:       " + Describe.caps(a.grantedCapabilities()));
        if (!a.droppedCapabilities().isEmpty()) {
          out.println(
              "  dropped:       "
                  + Describe.caps(a.droppedCapabilities())
                  + " (declared, not allowed; on_disallowed_capability = \"drop\")");
        }
        String requested = a.manifest().sandboxProfile();
        if (requested != null && !mp.sandboxProfile().equals(Optional.of(requested))) {
          out.println(
              "  note:          requests sandbox profile \""
                  + requested
                  + "\"; "
                  + mp.sandboxProfile()
                      .map(n -> "the policy assigns \"" + n + "\"")
                      .orElse("the policy names none, so the loader's default applies"));
        }
        printPolicy(out, mp);
        ExposureReport exposure =
            SecurityExposure.assess(
                ExposureFacts.of(
                    a,
                    Optional.empty(),
                    ExposureFacts.Isolation.UNKNOWN,
                    List.of("its data directory")));
        exposures.add(exposure);
        SecurityExposure.print(out, exposure, "  ");
      } catch (AdmissionException e) {
        refused++;
        out.println("module " + name + ": REFUSE (" + e.getClass().getSimpleName() + ")");
        out.println("  why:           " + e.getMessage().replace("\n", "\n                 "));
        printPolicy(out, mp);
      }
    }
    for (String name : policy.modules().keySet()) {
      if (!seen.contains(name)) {
        out.println("section modules." + name + ": no directory " + modules.resolve(name));
      }
    }
    if (state == null) {
      out.println("(version ratchet not checked: give --state DIR to check it)");
    }
    for (ExposureReport e : exposures) {
      out.println("exposure " + e.module() + ": " + e.score() + " " + e.rating());
    }
    out.println(
        dirs.size()
            + " module(s): "
            + (dirs.size() - refused)
            + " admitted, "
            + refused
            + " refused");
    out.flush();
    return refused == 0 ? ExitCodes.OK : ExitCodes.REFUSED;
  }

  /** A limit the policy writes, or "(loader default)": the loader's own value applies. */
  private static String limit(OptionalInt v, java.util.function.IntFunction<String> shown) {
    return v.isPresent() ? shown.apply(v.getAsInt()) : "(loader default)";
  }

  private static void printPolicy(PrintWriter out, ModulePolicy mp) {
    out.println(
        "  policy:        from ["
            + mp.section()
            + "]"
            + (mp.overrides().isEmpty()
                ? ""
                : ", own keys: " + String.join(", ", new TreeSet<>(mp.overrides())))
            + "; everything else from [defaults]");
    out.println("  allowed:       " + Describe.caps(mp.capabilities()));
    out.println(
        "  signatures:    "
            + mp.threshold()
            + " needed"
            + (mp.allowUnsigned()
                ? "; allow_unsigned = true (only if no signature file at all)"
                : ""));
    // a value the policy does not set is replaced by the loader's own sandbox default
    out.println(
        "  sandbox:       profile "
            + mp.sandboxProfile().map(n -> "\"" + n + "\"").orElse("(loader default)"));
    LimitSettings l = mp.limits();
    out.println(
        "  limits:        memory "
            + limit(l.memoryMb(), v -> v + " MB")
            + ", cpu "
            + limit(l.cpuSeconds(), v -> v == 0 ? "unlimited" : v + " s")
            + ", open files "
            + limit(l.openFiles(), Integer::toString)
            + ", processes "
            + limit(l.processes(), Integer::toString)
            + ", disk (largest file) "
            + limit(l.diskMb(), v -> v + " MB")
            + ", data directory "
            + limit(l.dataMb(), v -> v + " MB")
            + " in "
            + limit(l.dataFiles(), v -> v + " entries"));
    out.println(
        "  config:        "
            + (mp.configSections().isEmpty()
                ? "(own section only)"
                : String.join(", ", mp.configSections())));
    out.println(
        "  may call:      "
            + (mp.callableModules().isEmpty()
                ? "(none)"
                : String.join(", ", new TreeSet<>(mp.callableModules()))));
    out.println(
        "  secrets:       "
            + (mp.configSecrets().isEmpty()
                ? "(all redacted)"
                : String.join(", ", mp.configSecrets())));
    out.println(
        "  rate limit:    "
            + (mp.rateLimit().unlimited()
                ? "unlimited"
                : mp.rateLimit().requestsPerSecond()
                    + " requests/s, burst "
                    + mp.rateLimit().burst()));
    out.println("  on overflow:   " + mp.eventOverflow().name().toLowerCase(java.util.Locale.ROOT));
    out.println(
        "  restart:       "
            + mp.restart().mode().name().toLowerCase(java.util.Locale.ROOT)
            + ", at most "
            + mp.restart().maxRestarts()
            + " in "
            + mp.restart().windowSeconds()
            + " s, backoff "
            + mp.restart().backoffInitialMs()
            + "–"
            + mp.restart().backoffMaxMs()
            + " ms");
    NetworkRules.print(out, mp);
  }
}
