package org.blvm.sign;

import java.io.BufferedReader;
import java.io.Console;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import picocli.CommandLine.Option;

/**
 * Where a secret key's password comes from: {@code --password-file} (first line), {@code
 * --password-stdin} (first line of standard input), or else a prompt on the terminal.
 */
final class Passwords {
  @Option(
      names = "--password-file",
      paramLabel = "FILE",
      description = "Read the password from the first line of FILE.")
  Path file;

  @Option(
      names = "--password-stdin",
      description = "Read the password from the first line of standard input.")
  boolean stdin;

  /** Thrown when no password source is usable; the message says what to do. */
  static final class Unavailable extends IOException {
    private static final long serialVersionUID = 1L;

    Unavailable(String message) {
      super(message);
    }
  }

  char[] read(String prompt, boolean confirm, InputStream in) throws IOException {
    if (file != null) {
      return firstLine(Files.newInputStream(file), "password file " + file);
    }
    if (stdin) {
      return firstLine(in, "standard input");
    }
    Console c = System.console();
    if (c == null) {
      throw new Unavailable(
          "no terminal to ask for a password: use --password-file FILE or --password-stdin");
    }
    char[] pw = c.readPassword("%s", prompt);
    if (pw == null) {
      throw new Unavailable("no password entered");
    }
    if (confirm) {
      char[] again = c.readPassword("%s", "Password (one more time): ");
      boolean same = again != null && Arrays.equals(pw, again);
      if (again != null) {
        Arrays.fill(again, '\0');
      }
      if (!same) {
        Arrays.fill(pw, '\0');
        throw new Unavailable("the passwords do not match");
      }
    }
    return pw;
  }

  private static char[] firstLine(InputStream in, String what) throws IOException {
    BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
    String line = r.readLine();
    if (line == null || line.isEmpty()) {
      throw new Unavailable("no password in " + what);
    }
    return line.toCharArray();
  }
}
