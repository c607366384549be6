package org.blvm.examples.testmodule;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import org.blvm.sdk.ModuleClient;

/**
 * What a hostile JVM module would try against the class-data archive its JVM maps: finds the
 * archive named on its own command line ({@code -XX:SharedArchiveFile=}) and tries to write,
 * truncate, change the mode of, delete and replace it, and to create a file beside it; then makes
 * one node call. Prints one line per attempt to stderr: {@code class_data <op> ok} or {@code
 * class_data <op> denied <exception>: <message>}, then {@code class_data chain_tip ok height=N} and
 * {@code class_data end}.
 */
final class ClassDataAttack {
  private ClassDataAttack() {}

  private interface Op {
    void run(Path archive) throws IOException;
  }

  static void run(ModuleClient c) {
    Path archive = archiveFromCommandLine();
    System.err.println("class_data archive " + archive);
    if (archive != null) {
      attempt("write", archive, ClassDataAttack::write);
      attempt("truncate", archive, a -> FileChannel.open(a, StandardOpenOption.WRITE).truncate(0));
      attempt(
          "chmod",
          archive,
          a -> Files.setPosixFilePermissions(a, PosixFilePermissions.fromString("rw-rw-rw-")));
      attempt("delete", archive, Files::delete);
      attempt("create_beside", archive, a -> Files.writeString(a.resolveSibling("evil.jsa"), "x"));
      attempt(
          "replace",
          archive,
          a -> {
            Path t = Files.createTempFile("evil", ".jsa");
            Files.move(t, a, StandardCopyOption.REPLACE_EXISTING);
          });
      attempt("delete_dir", archive, a -> Files.delete(a.getParent()));
    }
    try {
      System.err.println("class_data chain_tip ok height=" + c.api().getChainTip().height());
    } catch (Exception e) {
      System.err.println("class_data chain_tip failed " + e);
    }
    System.err.println("class_data end");
  }

  private static void write(Path a) throws IOException {
    try (FileChannel ch = FileChannel.open(a, StandardOpenOption.WRITE)) {
      ch.write(ByteBuffer.wrap("poison".getBytes(StandardCharsets.US_ASCII)), 4096);
    }
  }

  private static void attempt(String op, Path archive, Op o) {
    try {
      o.run(archive);
      System.err.println("class_data " + op + " ok");
    } catch (IOException | RuntimeException e) {
      System.err.println(
          "class_data " + op + " denied " + e.getClass().getSimpleName() + ": " + e.getMessage());
    }
  }

  private static Path archiveFromCommandLine() {
    try {
      String cmdline =
          new String(Files.readAllBytes(Path.of("/proc/self/cmdline")), StandardCharsets.UTF_8);
      for (String arg : cmdline.split("\0")) {
        if (arg.startsWith("-XX:SharedArchiveFile=")) {
          return Path.of(arg.substring("-XX:SharedArchiveFile=".length()));
        }
      }
    } catch (IOException e) {
      System.err.println("class_data cmdline " + e);
    }
    return null;
  }
}
