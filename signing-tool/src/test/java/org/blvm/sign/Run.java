package org.blvm.sign;

import java.io.PrintWriter;
import java.io.StringWriter;
import picocli.CommandLine;

/** Runs a command line in-process and captures its exit code and output. */
record Run(int code, String out, String err) {
  static Run sign(String... args) {
    return run(Cli.commandLine(new BlvmSign()), args);
  }

  static Run loader(String... args) {
    return run(Cli.commandLine(new BlvmLoader()), args);
  }

  private static Run run(CommandLine cl, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    int code = cl.execute(args);
    return new Run(code, out.toString(), err.toString());
  }

  @Override
  public String toString() {
    return "exit " + code + "\n--- out\n" + out + "--- err\n" + err;
  }
}
