package org.blvm.sdk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code -all} jar is all a module author needs: a module using the SDK, the protocol's types
 * and Jackson compiles against that jar alone and runs with it alone (up to connecting, which fails
 * for want of a node, with the SDK's own CONFIGURATION reason).
 */
class SdkArtifactIT {
  @TempDir Path tmp;

  private static final String MODULE =
      "import com.fasterxml.jackson.databind.node.JsonNodeFactory;\n"
          + "import org.blvm.protocol.Codec;\n"
          + "import org.blvm.protocol.EventPayloads;\n"
          + "import org.blvm.protocol.EventType;\n"
          + "import org.blvm.protocol.Message;\n"
          + "import org.blvm.sdk.ModuleClient;\n"
          + "import org.blvm.sdk.ModuleConnectException;\n"
          + "public final class Minimal {\n"
          + "  public static void main(String[] args) throws Exception {\n"
          + "    byte[] hello = Codec.withDefaults().encode(\n"
          + "        new Message.Hello(java.util.List.of(1), \"t\"));\n"
          + "    System.out.println(\"cbor \" + hello.length + \" \"\n"
          + "        + JsonNodeFactory.instance.objectNode().put(\"ok\", 1));\n"
          + "    try {\n"
          + "      ModuleClient.builder(args)\n"
          + "          .onEvent(EventType.NewBlock, EventPayloads.NewBlock.class, (e, b) -> {})\n"
          + "          .connect();\n"
          + "    } catch (ModuleConnectException e) {\n"
          + "      System.out.println(\"reason \" + e.reason());\n"
          + "      System.exit(2);\n"
          + "    }\n"
          + "  }\n"
          + "}\n";

  @Test
  void allJar_aModuleCompilesAndRunsAgainstItAlone() throws Exception {
    Path jar = Path.of(System.getProperty("blvm.sdkAllJar", "missing"));
    assertTrue(Files.isRegularFile(jar), "the -all jar was built: " + jar);
    Path src = Files.writeString(tmp.resolve("Minimal.java"), MODULE);
    Path classes = Files.createDirectories(tmp.resolve("classes"));
    Path bin = Path.of(System.getProperty("java.home"), "bin");
    String compiled =
        run(
            List.of(
                bin.resolve("javac").toString(),
                "--release",
                "17",
                "-cp",
                jar.toString(),
                "-d",
                classes.toString(),
                src.toString()),
            0);
    assertEquals("", compiled.strip(), "javac's output");

    String text =
        run(List.of(bin.resolve("java").toString(), "-cp", jar + ":" + classes, "Minimal"), 2);
    assertTrue(text.contains("{\"ok\":1}"), text);
    assertTrue(text.contains("reason CONFIGURATION"), text);
  }

  /** Runs {@code cmd} without BLVM_* variables; its output, once it exited with {@code status}. */
  private static String run(List<String> cmd, int status) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().remove("BLVM_SOCKET");
    pb.environment().remove("BLVM_TOKEN");
    pb.redirectErrorStream(true);
    Process p = pb.start();
    byte[] out = p.getInputStream().readNBytes(64 * 1024);
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "ended: " + cmd);
    String text = new String(out, StandardCharsets.UTF_8);
    assertEquals(status, p.exitValue(), cmd + ":\n" + text);
    return text;
  }
}
