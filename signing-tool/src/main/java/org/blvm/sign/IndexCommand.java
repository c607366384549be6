package org.blvm.sign;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.concurrent.Callable;
import org.blvm.policy.IndexBuilder;
import org.blvm.policy.IndexException;
import org.blvm.policy.KeyFormatException;
import org.blvm.policy.MinisignSecretKey;
import org.blvm.policy.ModuleIndex;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code blvm-sign index DIR}: list the signed modules of a directory in a signed index. */
@Command(
    name = "index",
    header = "Writes and signs a module index of a directory of signed modules.",
    description = {
      "Lists every subdirectory of DIR that holds a module.toml (DIR/<any name>/, e.g."
          + " fee-watch-1.2.0/): each must be signed and its files must match its manifest's pins."
          + " Writes DIR/index.toml with the index name, version and expiry and, per module, its"
          + " name, version, description, path and the SHA-256 of its files; signs it into"
          + " DIR/index.toml.minisig (trusted comment \"blvm-index/1 name=<name> version=<N>"
          + " expires=<time>\"), or index.toml.<signer>.minisig with --signer.",
      "The version must be higher than that of an index.toml already in DIR."
    })
final class IndexCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  // no mixinStandardHelpOptions: its --version would take the index version's name
  @Option(
      names = {"-h", "--help"},
      usageHelp = true,
      description = "Show this help message and exit.")
  boolean help;

  @Option(
      names = {"-s", "--secret-key"},
      required = true,
      paramLabel = "FILE",
      description = "Secret key (blvm-sign keygen or minisign -G).")
  Path secretKey;

  @Option(
      names = "--version",
      required = true,
      paramLabel = "N",
      description = "The index version: an integer higher than every earlier one.")
  long version;

  @Option(
      names = "--expires",
      required = true,
      paramLabel = "WHEN",
      description = "When the index stops being accepted: 2027-01-01T00:00:00Z, or DAYSd (30d).")
  String expires;

  @Option(
      names = "--name",
      defaultValue = "main",
      paramLabel = "NAME",
      description = "The index name (default ${DEFAULT-VALUE}); versions count per name.")
  String name;

  @Option(
      names = "--signer",
      paramLabel = "LABEL",
      description = "Write index.toml.LABEL.minisig (one file per signer for k-of-n).")
  String signer;

  @Mixin Passwords passwords;

  @Parameters(paramLabel = "DIR", description = "Directory of signed module directories.")
  Path dir;

  Clock clock = Clock.systemUTC();

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    Instant until;
    try {
      until = expiry(expires, clock.instant());
    } catch (IllegalArgumentException e) {
      return Cli.fail(spec, ExitCodes.USAGE, "--expires: " + e.getMessage());
    }
    if (!until.isAfter(clock.instant())) {
      return Cli.fail(spec, ExitCodes.USAGE, "--expires " + until + " has already passed");
    }
    try (MinisignSecretKey key =
        SecretKeys.load(secretKey, passwords, spec.commandLine().getErr())) {
      IndexBuilder.Result r = IndexBuilder.write(dir, name, version, until, key, signer);
      for (ModuleIndex.Entry e : r.index().entries()) {
        out.println(
            "module " + e.name() + " " + e.version() + ": " + e.path() + " sha256 " + e.sha256());
      }
      for (String s : r.skipped()) {
        out.println("skipped " + s + ": no module.toml");
      }
      out.println("index:           " + r.file() + " (" + r.index().entries().size() + " modules)");
      out.println("signature:       " + r.signatureFile() + " by key " + key.keyId());
      out.println("trusted comment: " + r.signature().trustedComment());
      out.flush();
      return ExitCodes.OK;
    } catch (IllegalArgumentException e) {
      return Cli.fail(spec, ExitCodes.USAGE, e.getMessage());
    } catch (IndexException e) {
      return Cli.fail(spec, ExitCodes.REFUSED, "REFUSED: " + e.getMessage());
    } catch (Passwords.Unavailable e) {
      return Cli.fail(spec, ExitCodes.INPUT, e.getMessage());
    } catch (KeyFormatException e) {
      return Cli.fail(spec, ExitCodes.INPUT, e.getMessage());
    } catch (IOException e) {
      return Cli.fail(spec, ExitCodes.INPUT, Cli.describe(e));
    }
  }

  /** {@code DAYSd} from now, or a date-time with an offset. */
  static Instant expiry(String s, Instant now) {
    if (s.matches("[1-9][0-9]{0,4}d")) {
      return now.plus(Duration.ofDays(Long.parseLong(s.substring(0, s.length() - 1))));
    }
    try {
      return OffsetDateTime.parse(s).toInstant();
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException(
          "expected a date-time with an offset (2027-01-01T00:00:00Z) or DAYSd (30d), found \""
              + s
              + "\"");
    }
  }
}
