package org.blvm.sign;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import org.blvm.policy.IndexException;
import org.blvm.policy.IndexVerifier;
import org.blvm.policy.ModuleIndex;
import org.blvm.policy.Policy;
import org.blvm.policy.PolicyException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code blvm-loader search [TERM] --index FILE|DIR}. */
@Command(
    name = "search",
    mixinStandardHelpOptions = true,
    header = "Lists the modules a signed module index offers.",
    description = {
      "Verifies the index (signatures by the policy's [index] keys, expiry, not older than the"
          + " newest index of its name seen, which it becomes when newer), then lists each module"
          + " whose name or description contains TERM (any case; all without TERM): its versions"
          + " and description. Needs no running node."
    })
final class SearchCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Parameters(paramLabel = "TERM", arity = "0..1", description = "Text to look for.")
  String term;

  @Mixin IndexSource source;

  @Mixin LoaderPaths paths;

  Clock clock = Clock.systemUTC();

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    Path state;
    try {
      state = paths.existingState();
    } catch (IOException e) {
      return Cli.fail(spec, ExitCodes.INPUT, Cli.describe(e));
    }
    IndexVerifier.Verified v;
    Policy policy;
    try {
      policy = Policy.read(paths.policy());
      v = source.verify(policy, state, clock);
    } catch (PolicyException e) {
      return Cli.fail(spec, ExitCodes.INPUT, e.getMessage());
    } catch (IndexException e) {
      return Cli.fail(spec, ExitCodes.REFUSED, "REFUSED: " + e.getMessage());
    } catch (IOException e) {
      return Cli.fail(spec, ExitCodes.INPUT, "cannot read " + Cli.describe(e));
    }
    ModuleIndex ix = v.index();
    out.println(
        "index "
            + ix.name()
            + " version "
            + ix.version()
            + ", expires "
            + ix.expires()
            + ", signed by "
            + Describe.indexSigners(policy.indexTrust(), v));
    String t = term == null ? "" : term.toLowerCase(Locale.ROOT);
    Map<String, List<ModuleIndex.Entry>> byName = new TreeMap<>();
    for (ModuleIndex.Entry e : ix.entries()) {
      if (e.name().contains(t) || e.description().toLowerCase(Locale.ROOT).contains(t)) {
        byName.computeIfAbsent(e.name(), k -> new ArrayList<>()).add(e);
      }
    }
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"NAME", "VERSIONS", "DESCRIPTION"});
    for (Map.Entry<String, List<ModuleIndex.Entry>> m : byName.entrySet()) {
      List<ModuleIndex.Entry> es = m.getValue();
      es.sort((a, b) -> a.version().compareTo(b.version()));
      List<String> versions = new ArrayList<>();
      for (ModuleIndex.Entry e : es) {
        versions.add(e.version().toString());
      }
      rows.add(
          new String[] {
            m.getKey(), String.join(", ", versions), es.get(es.size() - 1).description()
          });
    }
    if (rows.size() == 1) {
      out.println(
          term == null ? "the index lists no module" : "no module matches \"" + term + "\"");
    } else {
      Table.print(rows, out);
    }
    out.flush();
    return ExitCodes.OK;
  }
}
