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
 * truncate, change the mode of, delete and replace it, and to create a file beside it; then the
 * same against the junixsocket library the loader named to its JVM, if any; then makes one node
 * call. Prints one line per attempt to stderr: {@code class_data <op> ok} or {@code class_data <op>
 * denied <exception>: <message>} ({@code class_data_library …} for the library), then {@code
 * class_data chain_tip ok height=N} and {@code class_data end}.
 */
final class ClassDataAttack {
  private ClassDataAttack() {}

  private interface Op {
    void run(Path archive) throws IOException;
  }

  static void run(ModuleClient c) {
    Path archive = archiveFromCommandLine();
    System.err.println("class_data archive " + archive);
    attackAll("class_data", archive);
    String lib = System.getProperty("org.newsclub.net.unix.library.override");
    System.err.println("class_data library " + lib);
    attackAll("class_data_library", lib == null ? null : Path.of(lib));
    try {
      System.err.println("class_data chain_tip ok height=" + c.api().getChainTip().height());
    } catch (Exception e) {
      System.err.println("class_data chain_tip failed " + e);
    }
    System.err.println("class_data end");
  }

  /** Each attempt on {@code archive}, reported as {@code <prefix> <op> ok|denied …}. */
  private static void attackAll(String prefix, Path archive) {
    if (archive != null) {
      attempt(prefix, "write", archive, ClassDataAttack::write);
      attempt(
          prefix,
          "truncate",
          archive,
          a -> FileChannel.open(a, StandardOpenOption.WRITE).truncate(0));
      attempt(
          prefix,
          "chmod",
          archive,
          a -> Files.setPosixFilePermissions(a, PosixFilePermissions.fromString("rw-rw-rw-")));
      attempt(prefix, "delete", archive, Files::delete);
      attempt(
          prefix,
          "create_beside",
          archive,
          a -> Files.writeString(a.resolveSibling("evil.jsa"), "x"));
      attempt(
          prefix,
          "replace",
          archive,
          a -> {
            Path t = Files.createTempFile("evil", ".jsa");
            Files.move(t, a, StandardCopyOption.REPLACE_EXISTING);
          });
      attempt(prefix, "delete_dir", archive, a -> Files.delete(a.getParent()));
    }
  }

  private static void write(Path a) throws IOException {
    try (FileChannel ch = FileChannel.open(a, StandardOpenOption.WRITE)) {
      ch.write(ByteBuffer.wrap("poison".getBytes(StandardCharsets.US_ASCII)), 4096);
    }
  }

  private static void attempt(String prefix, String op, Path archive, Op o) {
    try {
      o.run(archive);
      System.err.println(prefix + " " + op + " ok");
    } catch (IOException | RuntimeException e) {
      System.err.println(
          prefix + " " + op + " denied " + e.getClass().getSimpleName() + ": " + e.getMessage());
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
