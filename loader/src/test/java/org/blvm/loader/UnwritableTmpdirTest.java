package org.blvm.loader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.blvm.testsupport.ChildJvm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node whose {@code java.io.tmpdir} cannot be written starts its module manager all the same:
 * junixsocket's native library is unpacked into a directory the loader owns. Run in a child JVM
 * (the library loads once per JVM), with a tmpdir below a regular file, which no user — root
 * included — can create files in.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class UnwritableTmpdirTest {
  @TempDir Path tmp;

  /** The child: starts a manager over one module and prints each module's state. */
  public static final class Main {
    public static void main(String[] args) throws Exception {
      try (LoaderFixture fx = new LoaderFixture(Path.of(args[0])).module("m", "", "")) {
        fx.start(b -> {});
        for (ModuleStatus s : fx.manager.statuses()) {
          System.out.println("STATUS " + s.name() + " " + s.state() + " " + s.detail());
        }
      } catch (Throwable t) {
        System.out.println("THROWN " + t);
        System.exit(3);
      }
      System.exit(0);
    }
  }

  @Test
  void start_tmpdirNotWritable_managerStartsAndModuleLoads() throws Exception {
    Path blocker = blocker();
    String text = runChild(0, "-Djava.io.tmpdir=" + blocker.resolve("tmp"));
    assertTrue(text.contains("STATUS m LOADED"), text);
  }

  @Test
  void start_libraryDirectoryUnusable_preflightIOExceptionWithTheFix_notAnError() throws Exception {
    Path blocker = blocker();
    String text =
        runChild(
            3,
            "-Djava.io.tmpdir=" + blocker.resolve("tmp"),
            "-D" + NativePreflight.TMPDIR_PROPERTY + "=" + blocker.resolve("lib"));
    assertTrue(text.contains("THROWN java.io.IOException: preflight: junixsocket"), text);
    assertTrue(text.contains(NativePreflight.TMPDIR_PROPERTY + "=<a directory"), text);
  }

  private Path blocker() throws Exception {
    Path blocker = tmp.resolve("not-a-dir");
    Files.writeString(blocker, "a file, so nothing can be created below it\n");
    return blocker;
  }

  /** Runs {@link Main} with {@code jvmOptions}; returns its output, checking its exit status. */
  private String runChild(int expectedExit, String... jvmOptions) throws Exception {
    Path root = tmp.resolve("node");
    Files.createDirectories(root);
    List<String> cmd = new ArrayList<>();
    cmd.add(ChildJvm.java());
    cmd.addAll(List.of(jvmOptions));
    cmd.add("-cp");
    cmd.add(ChildJvm.classPath(Main.class));
    cmd.add(Main.class.getName());
    cmd.add(root.toString());
    Path out = tmp.resolve("child.out");
    Process p =
        new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
    assertTrue(p.waitFor(90, TimeUnit.SECONDS), "the child JVM did not finish");
    String text = Files.readString(out, StandardCharsets.UTF_8);
    assertEquals(expectedExit, p.exitValue(), text);
    return text;
  }
}
