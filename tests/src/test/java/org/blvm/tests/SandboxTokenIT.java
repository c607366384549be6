package org.blvm.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.blvm.demo.SimulatedChain;
import org.blvm.loader.ModuleManager;
import org.blvm.loader.ModuleState;
import org.blvm.sandbox.SandboxOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The one-time launch token never appears where another user can read it: while sandboxed modules
 * run, another unprivileged user reads the command line and environment of every process on the
 * machine and finds no token. (When the tests run unprivileged there is no other user to become:
 * the same user reads them from outside the sandboxes, where only the module's own environment,
 * inside its sandbox, may hold its token.)
 */
class SandboxTokenIT {
  /** An unprivileged uid with no account: a stranger to the loader and the sandboxes. */
  private static final int STRANGER = 65534;

  @TempDir Path tmp;

  /** Hands out real random bytes and remembers them: the tokens the loader makes from them. */
  static final class RecordingRandom extends SecureRandom {
    private static final long serialVersionUID = 1L;
    final transient List<String> drawn = new CopyOnWriteArrayList<>();

    @Override
    public void nextBytes(byte[] bytes) {
      super.nextBytes(bytes);
      drawn.add(HexFormat.of().formatHex(bytes));
    }
  }

  @Test
  void launchTokens_notInAnyCommandLineOrEnvironmentAnotherUserCanRead() throws Exception {
    SandboxOptions o = SandboxFixture.requireSandbox();
    SandboxFixture.letSandboxEnter(tmp);
    Path modules = Files.createDirectories(tmp.resolve("modules"));
    ModuleFixture.install(modules, "reporter", SandboxFixture.CAPS, "");
    SandboxFixture.installNative(modules, "native-ok", "mod-ok");
    RecordingRandom random = new RecordingRandom();
    Process control = null;
    try (ModuleManager m =
        SandboxFixture.manager(tmp, o, new SimulatedChain()).random(random).build()) {
      m.start();
      // scanned while both are launched and waiting: the JVM before and after its hello
      assertTrue(
          m.awaitState("native-ok", ModuleState.INITIALIZED, Duration.ofSeconds(30)),
          "" + m.statuses());
      List<String> tokens = List.copyOf(random.drawn);
      assertEquals(2, tokens.size(), "one token per module");
      // a control: the scan does find a token where it is readable
      control =
          new ProcessBuilder("/bin/sh", "-c", "sleep 600", "control-" + tokens.get(0)).start();
      List<String> early = scan(tokens);
      assertTrue(
          m.awaitState("reporter", ModuleState.STARTED, Duration.ofSeconds(60)), "" + m.statuses());
      List<String> late = scan(tokens);

      for (List<String> hits : List.of(early, late)) {
        List<String> leaks = new ArrayList<>();
        boolean controlSeen = false;
        for (String h : hits) {
          if (h.contains("control-")) {
            controlSeen = true;
          } else if (SandboxFixture.isRoot() || !h.startsWith("sandboxed environ ")) {
            leaks.add(h);
          }
        }
        assertTrue(controlSeen, "the scan must see what is readable: " + hits);
        assertEquals(List.of(), leaks, "a launch token readable by another user");
      }
    } finally {
      if (control != null) {
        control.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    }
  }

  /**
   * Reads /proc/PID/cmdline and /proc/PID/environ of every process as a stranger (as root: uid
   * {@value #STRANGER} through setpriv; otherwise as this user) and returns where a token shows:
   * "[sandboxed ]cmdline|environ PID".
   */
  private List<String> scan(List<String> tokens) throws Exception {
    List<String> hits = new ArrayList<>();
    if (SandboxFixture.isRoot()) {
      // one file per record: "==> PID KIND" then its bytes, written by the stranger
      Process p =
          new ProcessBuilder(
                  "/usr/bin/setpriv",
                  "--reuid=" + STRANGER,
                  "--regid=" + STRANGER,
                  "--clear-groups",
                  "--",
                  "/bin/sh",
                  "-c",
                  "for d in /proc/[0-9]*; do for k in cmdline environ; do"
                      + " if c=$(tr '\\0' ' ' < $d/$k 2>/dev/null); then"
                      + " echo \"==> ${d#/proc/} $k\"; printf '%s\\n' \"$c\"; fi; done; done")
              .redirectErrorStream(true)
              .start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertEquals(0, p.waitFor(), out.length() > 2000 ? out.substring(0, 2000) : out);
      String[] records = out.split("==> ");
      int environsRead = 0;
      for (String r : records) {
        int nl = r.indexOf('\n');
        if (nl < 0) {
          continue;
        }
        String[] head = r.substring(0, nl).split(" ");
        environsRead += head[1].equals("environ") ? 1 : 0;
        for (String t : tokens) {
          if (r.contains(t)) {
            hits.add(head[1] + " " + head[0] + ": " + r.substring(nl + 1).strip());
          }
        }
      }
      assertTrue(records.length > 10, "the stranger could list processes: " + out);
      return hits;
    }
    String myNs = Files.readSymbolicLink(Path.of("/proc/self/ns/pid")).toString();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
      for (Path d : ds) {
        for (String kind : List.of("cmdline", "environ")) {
          String text;
          String ns;
          try {
            text = new String(Files.readAllBytes(d.resolve(kind)), StandardCharsets.UTF_8);
            ns = Files.readSymbolicLink(d.resolve("ns/pid")).toString();
          } catch (IOException unreadable) {
            continue; // not ours, or ended meanwhile
          }
          for (String t : tokens) {
            if (text.contains(t)) {
              hits.add(
                  (ns.equals(myNs) ? "" : "sandboxed ")
                      + kind
                      + " "
                      + d.getFileName()
                      + ": "
                      + text.replace('\0', ' '));
            }
          }
        }
      }
    }
    return hits;
  }
}
