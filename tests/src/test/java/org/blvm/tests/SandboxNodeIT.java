package org.blvm.tests;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.blvm.demo.SimulatedChain;
import org.blvm.loader.ModuleManager;
import org.blvm.loader.ModuleState;
import org.blvm.sandbox.SandboxOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A {@code runtime = "node"} module runs sandboxed with the configured Node.js, from the verified
 * copy of its tree, with its manifest's arguments and a heap option, and completes the handshake.
 */
class SandboxNodeIT {
  /** Says hello with BLVM_TOKEN (the CBOR written out by hand) and prints the welcome's kind. */
  private static final String SCRIPT =
      "const net = require('net');\n"
          + "const v8 = require('v8');\n"
          + "const heapMb = Math.round(v8.getHeapStatistics().heap_size_limit / 1048576);\n"
          + "console.log('node ' + process.version + ' args ' + process.argv.slice(2).join(',')\n"
          + "    + ' from ' + __dirname + ' heap ' + heapMb);\n"
          + "const token = Buffer.from(process.env.BLVM_TOKEN, 'ascii');\n"
          + "const hello = Buffer.concat([Buffer.from([0xa3, 0x64]), Buffer.from('kind'),\n"
          + "  Buffer.from([0x65]), Buffer.from('hello'), Buffer.from([0x68]),\n"
          + "  Buffer.from('versions'), Buffer.from([0x81, 0x01, 0x65]), Buffer.from('token'),\n"
          + "  Buffer.from([0x78, token.length]), token]);\n"
          + "const len = Buffer.alloc(4);\n"
          + "len.writeUInt32BE(hello.length);\n"
          + "const s = net.createConnection(process.env.BLVM_SOCKET, () => {\n"
          + "  s.write(Buffer.concat([len, hello]));\n"
          + "});\n"
          + "s.on('data', (d) => {\n"
          + "  if (d.includes(Buffer.from('welcome'))) console.log('node module: welcome');\n"
          + "});\n";

  @TempDir Path tmp;

  @Test
  void nodeModule_sandboxed_runsItsScriptWithTheConfiguredNode() throws Exception {
    Path node = Path.of("/usr/bin/node");
    assertTrue(Files.isExecutable(node), "Node.js is at " + node);
    SandboxOptions o = SandboxFixture.requireSandbox();
    SandboxFixture.letSandboxEnter(tmp);
    Path dir = Files.createDirectories(tmp.resolve("modules/node-module"));
    Files.writeString(dir.resolve("main.js"), SCRIPT);
    Files.writeString(
        dir.resolve("module.toml"),
        "name = \"node-module\"\nversion = \"1.0.0\"\nruntime = \"node\"\nentry = \"main.js\"\n"
            + "args = [\"--mode\", \"hello\"]\ncapabilities = []\n");
    ModuleFixture.sign(dir);
    Path log = tmp.resolve("run/node-module.out.log");
    try (ModuleManager m =
        SandboxFixture.manager(tmp, o, new SimulatedChain())
            .interpreter("node", node)
            .moduleHeapMb(48)
            .build()) {
      m.start();
      String text = SandboxFixture.awaitLog(log, "node module: welcome");
      assertTrue(text.contains(" args --mode,hello from "), text);
      assertTrue(text.contains("/store/trees/"), "runs the store's verified copy: " + text);
      java.util.regex.Matcher heap = java.util.regex.Pattern.compile(" heap (\\d+)").matcher(text);
      assertTrue(heap.find(), text);
      // --max-old-space-size=48 (plus V8's young generation), not V8's default of gigabytes
      assertTrue(Integer.parseInt(heap.group(1)) < 256, "the heap option applies: " + text);
      assertTrue(
          m.awaitState("node-module", ModuleState.INITIALIZED, Duration.ofSeconds(30)),
          "" + m.statuses());
    }
  }
}
