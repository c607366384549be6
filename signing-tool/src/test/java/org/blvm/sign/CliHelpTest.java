package org.blvm.sign;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The help and the usage errors of both tools, as a user sees them. */
class CliHelpTest {

  /**
   * Every command's one-line summary is a whole sentence and appears unbroken in its parent's
   * {@code --help} (picocli would otherwise show a description's first line, cut where it wraps).
   */
  @Test
  void help_everyCommandSummary_isAWholeSentenceOnOneLine() {
    List<String> checked = new ArrayList<>();
    checkSummaries(Cli.commandLine(new BlvmSign()), List.of(), checked);
    checkSummaries(Cli.commandLine(new BlvmLoader()), List.of(), checked);
    assertEquals(
        List.of(
            "blvm-sign keygen",
            "blvm-sign sign",
            "blvm-sign verify",
            "blvm-sign inspect",
            "blvm-sign index",
            "blvm-loader modules",
            "blvm-loader modules list",
            "blvm-loader modules status",
            "blvm-loader modules start",
            "blvm-loader modules stop",
            "blvm-loader modules restart",
            "blvm-loader modules upgrade",
            "blvm-loader modules rollback",
            "blvm-loader modules unload",
            "blvm-loader policy",
            "blvm-loader policy check",
            "blvm-loader policy reload",
            "blvm-loader config",
            "blvm-loader config reload",
            "blvm-loader logs",
            "blvm-loader audit",
            "blvm-loader metrics",
            "blvm-loader security",
            "blvm-loader search",
            "blvm-loader install"),
        checked);
  }

  private static void checkSummaries(CommandLine cl, List<String> path, List<String> checked) {
    List<String> helpArgs = new ArrayList<>(path);
    helpArgs.add("--help");
    String root = cl.getCommandName();
    Run help =
        root.equals("blvm-sign")
            ? Run.sign(helpArgs.toArray(String[]::new))
            : Run.loader(helpArgs.toArray(String[]::new));
    assertEquals(ExitCodes.OK, help.code(), help.toString());
    for (CommandLine sub : subcommandsAt(cl, path).getSubcommands().values()) {
      if (sub.getCommand() instanceof CommandLine.HelpCommand) {
        continue;
      }
      String[] header = sub.getCommandSpec().usageMessage().header();
      String name = sub.getCommandSpec().qualifiedName();
      assertNotNull(header, name);
      assertEquals(1, header.length, name);
      assertTrue(header[0].endsWith("."), name + ": \"" + header[0] + "\"");
      assertTrue(
          help.out()
              .lines()
              .anyMatch(l -> l.contains(sub.getCommandName() + " ") && l.endsWith(header[0])),
          name + " summary cut or missing in:\n" + help.out());
      checked.add(name);
      List<String> deeper = new ArrayList<>(path);
      deeper.add(sub.getCommandName());
      checkSummaries(cl, deeper, checked);
    }
  }

  private static CommandLine subcommandsAt(CommandLine cl, List<String> path) {
    CommandLine c = cl;
    for (String p : path) {
      c = c.getSubcommands().get(p);
    }
    return c;
  }

  @Test
  void noCommand_usageErrorNamesTheCommands() {
    Run sign = Run.sign();
    Run policy = Run.loader("policy");

    assertEquals(ExitCodes.USAGE, sign.code(), sign.toString());
    assertTrue(
        sign.err().contains("a command is required: keygen, sign, verify, inspect"),
        sign.toString());
    assertEquals(ExitCodes.USAGE, policy.code(), policy.toString());
    assertTrue(policy.err().contains("a command is required: check, reload"), policy.toString());
  }
}
