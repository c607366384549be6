package org.blvm.sign;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.blvm.policy.KeyFormatException;
import org.blvm.policy.MinisignSecretKey;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code blvm-sign keygen}: a minisign key pair. */
@Command(
    name = "keygen",
    mixinStandardHelpOptions = true,
    header = "Generates a minisign key pair.",
    description = {
      "Generates a minisign key pair (the keys work with minisign -S and -V).",
      "The secret key is encrypted with a password (scrypt at minisign's cost) unless"
          + " --unencrypted is given."
    })
final class KeygenCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(
      names = {"-p", "--public-key"},
      required = true,
      paramLabel = "FILE",
      description = "Public key file to write.")
  Path publicKey;

  @Option(
      names = {"-s", "--secret-key"},
      required = true,
      paramLabel = "FILE",
      description = "Secret key file to write (mode 0600).")
  Path secretKey;

  @Option(
      names = {"-W", "--unencrypted"},
      description = "Store the secret key without a password (for automation; like minisign -W).")
  boolean unencrypted;

  @Option(
      names = {"-f", "--force"},
      description = "Overwrite existing key files.")
  boolean force;

  @Mixin Passwords passwords;

  @Override
  public Integer call() {
    List<Path> existing = new ArrayList<>();
    for (Path p : List.of(publicKey, secretKey)) {
      if (Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
        existing.add(p);
      }
    }
    if (!force && !existing.isEmpty()) {
      return Cli.fail(
          spec, ExitCodes.INPUT, existing + " already exist(s); use --force to overwrite");
    }
    SecureRandom random = new SecureRandom();
    try (MinisignSecretKey key = MinisignSecretKey.generate(random)) {
      String secret;
      if (unencrypted) {
        secret = key.encode(null, null, random);
      } else {
        char[] pw = passwords.read("Password for the new secret key: ", true, System.in);
        spec.commandLine()
            .getErr()
            .println("Deriving a key from the password (scrypt, about 1 GiB and a few seconds)...");
        spec.commandLine().getErr().flush();
        secret = key.encode(pw, MinisignSecretKey.MINISIGN_DEFAULT, random);
      }
      writePrivate(secretKey, secret);
      Files.writeString(publicKey, key.publicKey().fileContent(), StandardCharsets.UTF_8);
      var out = spec.commandLine().getOut();
      out.println("key id:      " + key.keyId());
      out.println("public key:  " + key.publicKey().encoded());
      out.println(
          "written:     " + publicKey + ", " + secretKey + (unencrypted ? " (unencrypted)" : ""));
      out.println(
          "policy file: [[keys]] name = \"...\" public_key = \""
              + key.publicKey().encoded()
              + "\"");
      out.flush();
      return ExitCodes.OK;
    } catch (Passwords.Unavailable e) {
      return Cli.fail(spec, ExitCodes.INPUT, e.getMessage());
    } catch (KeyFormatException | IOException e) {
      return Cli.fail(spec, ExitCodes.INPUT, "cannot write the key pair: " + e.getMessage());
    }
  }

  private void writePrivate(Path file, String content) throws IOException {
    if (force) {
      Files.deleteIfExists(file);
    }
    try (OutputStream out =
        Files.newOutputStream(
            Files.createFile(
                file,
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))),
            StandardOpenOption.WRITE,
            LinkOption.NOFOLLOW_LINKS)) {
      out.write(content.getBytes(StandardCharsets.US_ASCII));
    } catch (FileAlreadyExistsException e) {
      throw new IOException(file + " appeared while writing; not overwritten", e);
    }
  }
}
