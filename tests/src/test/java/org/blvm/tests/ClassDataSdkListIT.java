package org.blvm.tests;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The loader's list of the classes the SDK loads before its hello (the class list of its class-data
 * archives) is the SDK's: a minimal module (the SDK's connect, nothing else) is run with the
 * loader's JVM options against a stand-in node that reads its hello and kills it there; every class
 * its JVM loaded from a file (the JDK's archive, its modules, the jar) up to then must be on the
 * list but for a few whose loading depends on thread timing, and the list may name only a few
 * classes the start no longer loads.
 */
class ClassDataSdkListIT {
  private static final Pattern LOADED =
      Pattern.compile("\\[class,load\\] (\\S+) source: (shared objects file|jrt:/|file:|jar:)");

  @TempDir Path tmp;

  @Test
  void everyClassTheSdkLoadsBeforeItsHello_isOnTheLoadersList() throws Exception {
    Path jar = ModuleFixture.testModuleJar();
    Path src = Files.createDirectories(tmp.resolve("src"));
    Path classes = Files.createDirectories(tmp.resolve("classes"));
    Path idle =
        Files.writeString(
            src.resolve("Idle.java"),
            "public class Idle { public static void main(String[] a) throws Exception {"
                + " try (org.blvm.sdk.ModuleClient c ="
                + " org.blvm.sdk.ModuleClient.builder(a).connect()) { c.awaitShutdown(); } } }");
    int javac =
        ToolProvider.getSystemJavaCompiler()
            .run(
                null, null, null, "-cp", jar.toString(), "-d", classes.toString(), idle.toString());
    assertTrue(javac == 0, "the minimal module compiles");
    // a jar, as a module's classes come: a directory on the class path loads other JDK classes
    Path idleJar = tmp.resolve("idle.jar");
    try (java.util.jar.JarOutputStream j =
        new java.util.jar.JarOutputStream(Files.newOutputStream(idleJar))) {
      j.putNextEntry(new java.util.jar.JarEntry("Idle.class"));
      j.write(Files.readAllBytes(classes.resolve("Idle.class")));
      j.closeEntry();
    }

    Path sockDir = Files.createDirectory(tmp.resolve("sock"));
    Files.setPosixFilePermissions(sockDir, PosixFilePermissions.fromString("rwx------"));
    Path sock = sockDir.resolve("s");
    Path log = tmp.resolve("class-load.txt");
    Set<String> loaded = new HashSet<>();
    try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      server.bind(UnixDomainSocketAddress.of(sock));
      ProcessBuilder pb =
          new ProcessBuilder(
              Path.of(System.getProperty("java.home"), "bin", "java").toString(),
              "-Xmx64m",
              "-XX:ActiveProcessorCount=2",
              "-XX:+UseSerialGC",
              "-XX:-UsePerfData",
              "-XX:+DisableAttachMechanism",
              "-Xshare:auto",
              "-Xlog:class+load=info:file=" + log,
              "-cp",
              idleJar + ":" + jar,
              "Idle");
      pb.environment().put("BLVM_SOCKET", sock.toString());
      pb.environment().put("BLVM_TOKEN", "ab".repeat(32));
      pb.redirectErrorStream(true).redirectOutput(tmp.resolve("out.txt").toFile());
      Process p = pb.start();
      try (SocketChannel c = server.accept()) {
        int n = c.read(ByteBuffer.allocate(1)); // the hello's first byte
        assertTrue(n == 1, "the module said hello");
        p.destroyForcibly(); // no shutdown: nothing after the hello is loaded
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
      } finally {
        p.destroyForcibly();
      }
    }
    for (String line : Files.readAllLines(log, StandardCharsets.UTF_8)) {
      Matcher m = LOADED.matcher(line);
      if (m.find() && !m.group(1).equals("Idle")) {
        loaded.add(m.group(1).replace('.', '/'));
      }
    }
    List<String> listed = new ArrayList<>();
    try (InputStream in =
        org.blvm.loader.ModuleManager.class.getResourceAsStream("sdk-classlist")) {
      if (in == null) {
        throw new IOException("the loader's sdk-classlist resource is missing");
      }
      for (String l : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
        if (!l.isBlank() && !l.startsWith("#")) {
          listed.add(l.strip());
        }
      }
    }
    assertTrue(loaded.size() > 500, "the log was read: " + loaded.size() + " classes");
    List<String> missing = loaded.stream().filter(c -> !listed.contains(c)).sorted().toList();
    // a few classes load or not by the timing of the SDK's threads (a wait on a future); a change
    // of the SDK's start shows as more than a few
    assertTrue(
        missing.size() <= 5,
        "loaded before the hello but not on the loader's sdk-classlist: " + missing);
    List<String> stale = listed.stream().filter(c -> !loaded.contains(c)).toList();
    assertTrue(
        stale.size() <= listed.size() / 20,
        "the loader's sdk-classlist names classes the SDK no longer loads: " + stale);
  }
}
