package org.blvm.sign;

import java.io.IOException;
import java.nio.file.Path;
import org.blvm.policy.KeyFormatException;
import org.blvm.policy.MinisignSecretKey;

/** Loads a secret key, asking for the password only when it is encrypted. */
final class SecretKeys {
  private SecretKeys() {}

  static MinisignSecretKey load(Path file, Passwords passwords, java.io.PrintWriter err)
      throws KeyFormatException, IOException {
    return MinisignSecretKey.read(
        file,
        () -> {
          char[] pw = passwords.read("Password for " + file + ": ", false, System.in);
          err.println("Deriving the key from the password...");
          err.flush();
          return pw;
        });
  }
}
