package org.blvm.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.blvm.demo.SimulatedChain;
import org.blvm.loader.ModuleManager;
import org.blvm.loader.ModuleState;
import org.blvm.loader.ModuleStatus;
import org.blvm.protocol.Api;
import org.blvm.protocol.EventPayloads;
import org.blvm.protocol.EventType;
import org.blvm.sandbox.SandboxOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The example Python module (examples/python-module, standard library only, two files) runs
 * sandboxed with the default profile from the verified copy of its tree: it gets its manifest's
 * arguments, subscribes to NewBlock and fetches every block with get_block, and fetches a page over
 * a connection the loader opened for it (net_connect, the socket received with {@code
 * socket.recv_fds}). A file of its tree changed or added after signing refuses it, naming the file.
 */
class SandboxPythonIT {
  @TempDir Path tmp;

  /** Copies the example into {@code modules/NAME} with {@code args} as its manifest's arguments. */
  private static Path installExample(Path modules, String args) throws IOException {
    Path src = Path.of(System.getProperty("blvm.pythonModule", "missing"));
    if (!Files.isRegularFile(src.resolve("module.toml"))) {
      throw new IllegalStateException("blvm.pythonModule does not name the example: " + src);
    }
    Path dir = Files.createDirectories(modules.resolve("python-module"));
    for (String f : List.of("module.toml", "main.py", "blvm_client.py")) {
      Files.copy(src.resolve(f), dir.resolve(f));
    }
    String manifest = Files.readString(dir.resolve("module.toml"));
    String withArgs = manifest.replace("args = [\"--label\", \"python-module\"]", args);
    assertFalse(manifest.equals(withArgs), "the example's args line changed: " + manifest);
    Files.writeString(dir.resolve("module.toml"), withArgs);
    ModuleFixture.sign(dir);
    return dir;
  }

  @Test
  void pythonModule_sandboxedWithTheDefaultProfile_subscribesAndFetchesEveryBlock()
      throws Exception {
    SandboxOptions o = SandboxFixture.requireSandbox();
    SandboxFixture.letSandboxEnter(tmp);
    Path modules = Files.createDirectories(tmp.resolve("modules"));
    installExample(modules, "args = [\"--label\", \"from-args\"]");
    SimulatedChain chain = new SimulatedChain();
    Path log = tmp.resolve("run/python-module.out.log");
    try (ModuleManager m = SandboxFixture.manager(tmp, o, chain).build()) {
      m.start();
      assertTrue(
          m.awaitState("python-module", ModuleState.STARTED, Duration.ofSeconds(60)),
          m.statuses() + "\n" + (Files.exists(log) ? Files.readString(log) : ""));
      String welcome = SandboxFixture.awaitLog(log, "from-args: welcome as python-module");
      String caps = welcome.substring(welcome.indexOf("capabilities ") + 13).split("\n")[0];
      assertEquals(
          java.util.Set.of("read_blockchain", "subscribe_events", "network_connect"),
          java.util.Set.of(caps.split(",")),
          welcome);
      String from = SandboxFixture.awaitLog(log, "from-args: running from ");
      assertTrue(from.contains("/store/trees/"), "runs the store's verified copy: " + from);
      assertFalse(from.contains(modules.toString()), "never the module directory: " + from);

      for (int i = 0; i < 3; i++) {
        EventPayloads.NewBlock b = chain.mineBlock(i);
        assertEquals(1, m.publish(EventType.NewBlock, b));
        Api.Block block = chain.getBlock(b.hash()).orElseThrow();
        SandboxFixture.awaitLog(
            log,
            "from-args: block "
                + b.height()
                + " "
                + b.hash()
                + " txids "
                + block.txids().size()
                + " size "
                + block.size()
                + "\n");
      }
      assertEquals(ModuleState.STARTED, m.status("python-module").orElseThrow().state());
      assertEquals(ModuleState.STOPPED, m.stopModule("python-module").state());
    }
  }

  @Test
  void pythonModule_netConnect_allowedServerAnswersOverTheReceivedSocket_otherRefusedNotCapable()
      throws Exception {
    SandboxOptions o = SandboxFixture.requireSandbox();
    SandboxFixture.letSandboxEnter(tmp);
    Path modules = Files.createDirectories(tmp.resolve("modules"));
    HttpServer allowed = SandboxNetworkIT.http("hello python over the broker");
    HttpServer other = SandboxNetworkIT.http("never read");
    try {
      String ok = "127.0.0.1:" + allowed.getAddress().getPort();
      String no = "127.0.0.1:" + other.getAddress().getPort();
      installExample(
          modules,
          "args = [\"--label\", \"net\", \"--get\", \"" + no + "\", \"--get\", \"" + ok + "\"]");
      String policy =
          "[defaults]\ncapabilities = [\"read_blockchain\", \"subscribe_events\","
              + " \"network_connect\"]\n[modules.python-module.network]\nconnect = [\""
              + ok
              + "\"]\n";
      SimulatedChain chain = new SimulatedChain();
      Path log = tmp.resolve("run/python-module.out.log");
      try (ModuleManager m = SandboxFixture.manager(tmp, o, chain, policy).build()) {
        m.start();
        assertTrue(
            m.awaitState("python-module", ModuleState.STARTED, Duration.ofSeconds(60)),
            m.statuses() + "\n" + (Files.exists(log) ? Files.readString(log) : ""));
        // outside the rules: NOT_CAPABLE naming the rule to add, and no descriptor
        String refused = SandboxFixture.awaitLog(log, "net: get " + no + " refused: ");
        assertTrue(
            refused.contains(
                "refused: NOT_CAPABLE: module python-module may not connect to "
                    + no
                    + ": no connect rule allows it; to allow it, add \""
                    + no
                    + "\" to [modules.python-module.network] connect"),
            refused);
        // inside: the socket handed over with the response carries the HTTP exchange
        String got =
            SandboxFixture.awaitLog(
                log,
                "net: get "
                    + ok
                    + " via 127.0.0.1 (rule "
                    + ok
                    + "): HTTP/1.1 200 OK: hello python over the broker");
        assertFalse(got.contains("never read"), got);
        // and the module goes on: the protocol connection survived both answers
        EventPayloads.NewBlock b = chain.mineBlock(0);
        assertEquals(1, m.publish(EventType.NewBlock, b));
        SandboxFixture.awaitLog(log, "net: block " + b.height() + " " + b.hash());
        assertEquals(ModuleState.STOPPED, m.stopModule("python-module").state());
      }
    } finally {
      allowed.stop(0);
      other.stop(0);
    }
  }

  @Test
  void pythonModule_fileChangedOrAddedAfterSigning_refusedNamingIt() throws Exception {
    SandboxOptions o = SandboxFixture.requireSandbox();
    SandboxFixture.letSandboxEnter(tmp);
    Path modules = Files.createDirectories(tmp.resolve("modules"));
    Path dir = installExample(modules, "args = []");
    byte[] original = Files.readAllBytes(dir.resolve("blvm_client.py"));
    try (ModuleManager m = SandboxFixture.manager(tmp, o, new SimulatedChain()).build()) {
      // one character changed: the same size, another digest
      String text = Files.readString(dir.resolve("blvm_client.py"));
      assertTrue(text.contains("MAX_DEPTH = 32"), "the example's depth bound");
      Files.writeString(
          dir.resolve("blvm_client.py"), text.replace("MAX_DEPTH = 32", "MAX_DEPTH = 99"));
      m.start();
      ModuleStatus changed = m.status("python-module").orElseThrow();
      assertEquals(ModuleState.FAILED, changed.state());
      assertTrue(changed.detail().contains("blvm_client.py: changed"), changed.detail());

      Files.write(dir.resolve("blvm_client.py"), original); // the signed file again
      Files.writeString(dir.resolve("sitecustomize.py"), "import os\n");
      ModuleStatus added = m.startModule(dir);
      assertEquals(ModuleState.FAILED, added.state());
      assertTrue(added.detail().contains("sitecustomize.py: added"), added.detail());

      Files.delete(dir.resolve("sitecustomize.py"));
      ModuleStatus signed = m.startModule(dir);
      assertTrue(signed.state() != ModuleState.FAILED, "the signed tree is admitted: " + signed);
      assertTrue(
          m.awaitState("python-module", ModuleState.STARTED, Duration.ofSeconds(60)),
          "" + m.statuses());
    }
  }
}
