package org.blvm.sign;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code blvm-sign}: make keys, sign modules, verify and inspect signed modules. */
@Command(
    name = "blvm-sign",
    mixinStandardHelpOptions = true,
    version = "blvm-sign 0.1.0",
    description = "Signs blvm modules with minisign-compatible Ed25519 signatures.",
    subcommands = {
      KeygenCommand.class,
      SignCommand.class,
      VerifyCommand.class,
      InspectCommand.class,
      IndexCommand.class,
      CommandLine.HelpCommand.class
    },
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
      "0:done; verify: the module would be admitted",
      "1:refused: a signature, pin or policy rule said no",
      "2:wrong command line",
      "3:bad input: missing/unreadable file, malformed key, wrong password, existing output",
      "70:internal error"
    })
public final class BlvmSign extends ToolCommand {
  public static void main(String[] args) {
    Cli.main(new BlvmSign(), args);
  }
}
