package org.blvm.examples.testmodule;

import static org.blvm.testsupport.FakeNode.CODEC;
import static org.blvm.testsupport.FakeNode.JSON;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.blvm.protocol.Api;
import org.blvm.protocol.Capability;
import org.blvm.protocol.EventPayloads;
import org.blvm.protocol.Message;
import org.blvm.testsupport.FakeNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Runs target/blvm-test-module.jar as a real process against a scripted node on one socket. */
@Timeout(60)
final class ModuleProcessIT {
  private static final String TOKEN = "5a".repeat(32);

  /** Includes the module JVM's start. */
  private static final Duration WAIT = Duration.ofSeconds(20);

  private static final String HASH = "00".repeat(31) + "05";

  @TempDir Path tmp;
  private Process process;
  private FakeNode node;

  @AfterEach
  void kill() throws Exception {
    if (process != null) {
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
    if (node != null) {
      node.close();
    }
  }

  @Test
  void module_blockEchoCallBackStop_behavesAndExitsZero() throws Exception {
    startAndWelcome(JSON.objectNode());
    Message.Request subscribe = expectSetup("subscribe_events");
    assertEquals(
        new Api.SubscribeParams(List.of("NewBlock")),
        CODEC.toValue(subscribe.params(), Api.SubscribeParams.class));
    Message.Request register = expectSetup("register_module_api");
    assertEquals(
        List.of("echo", "call_back"),
        CODEC.toValue(register.params(), Api.RegisterApiParams.class).methods());
    expectSetup("ready");

    // NewBlock -> get_block -> publish test.block_seen -> log
    send(newBlock(1));
    Message.Request getBlock = readRequest();
    assertEquals("get_block", getBlock.method());
    assertEquals(HASH, getBlock.params().get("hash").textValue());
    send(Message.Response.ok(getBlock.id(), CODEC.toTree(block())));
    Message.Request publish = readRequest();
    assertEquals("publish_event", publish.method());
    assertEquals("test.block_seen", publish.params().get("type").textValue());
    ObjectNode expected = JSON.objectNode();
    expected.put("module_id", "test-module").put("height", 5).put("hash", HASH);
    expected.put("tx_count", 3).put("seq", 1);
    assertEquals(expected, publish.params().get("payload"));
    send(Message.Response.ok(publish.id(), JSON.objectNode().put("delivered", 0)));
    Message.Log log = assertInstanceOf(Message.Log.class, read());
    assertEquals(Message.LogLevel.INFO, log.level());
    assertEquals("block 5 " + HASH + " txs=3 seq=1", log.message());

    // echo
    send(new Message.Invoke(100, "echo", JSON.objectNode().put("a", 1), "mod-b"));
    Message.Response echo = assertInstanceOf(Message.Response.class, read());
    assertEquals(100, echo.id());
    assertEquals("mod-b", echo.result().get("caller").textValue());
    assertEquals(JSON.objectNode().put("a", 1), echo.result().get("params"));

    // call_back: the module calls the caller's echo through the node
    send(new Message.Invoke(101, "call_back", JSON.objectNode().put("b", 2), "mod-b"));
    Message.Request callModule = readRequest();
    assertEquals("call_module", callModule.method());
    assertEquals("mod-b", callModule.params().get("target").textValue());
    assertEquals("echo", callModule.params().get("method").textValue());
    assertEquals(JSON.objectNode().put("b", 2), callModule.params().get("params"));
    send(Message.Response.ok(callModule.id(), JSON.objectNode().put("from", "mod-b")));
    Message.Response back = assertInstanceOf(Message.Response.class, read());
    assertEquals(101, back.id());
    assertEquals(JSON.objectNode().put("from", "mod-b"), back.result());

    // stop
    send(new Message.Invoke(102, "stop", JSON.objectNode().put("grace_ms", 5000), null));
    Message.Response stopped = assertInstanceOf(Message.Response.class, read());
    assertEquals(102, stopped.id());
    assertInstanceOf(Message.Close.class, read());
    assertTrue(process.waitFor(20, TimeUnit.SECONDS), "the module must exit after stop");
    assertEquals(0, process.exitValue());
  }

  @Test
  void module_exitAfterBlocks_exitsThree() throws Exception {
    startAndWelcome(JSON.objectNode().put("exit_after_blocks", 1));
    expectSetup("subscribe_events");
    expectSetup("register_module_api");
    expectSetup("ready");

    send(newBlock(1));
    Message.Request getBlock = readRequest();
    send(Message.Response.ok(getBlock.id(), CODEC.toTree(block())));
    Message.Request publish = readRequest();
    send(Message.Response.ok(publish.id(), JSON.objectNode().put("delivered", 1)));

    assertTrue(process.waitFor(20, TimeUnit.SECONDS), "the module must exit by itself");
    assertEquals(3, process.exitValue());
  }

  @Test
  void module_ignoreStop_answersStopButSurvivesSigtermUntilKilled() throws Exception {
    startAndWelcome(JSON.objectNode().put("ignore_stop", true));
    expectSetup("subscribe_events");
    expectSetup("register_module_api");
    expectSetup("ready");

    send(new Message.Invoke(7, "stop", null, null));
    Message m;
    do {
      m = read();
    } while (!(m instanceof Message.Response));
    assertEquals(7, ((Message.Response) m).id());
    assertFalse(process.waitFor(1, TimeUnit.SECONDS), "an ignore_stop module keeps running");
    process.destroy(); // SIGTERM
    assertFalse(process.waitFor(1, TimeUnit.SECONDS), "an ignore_stop module survives SIGTERM");
    process.destroyForcibly(); // SIGKILL
    assertTrue(process.waitFor(10, TimeUnit.SECONDS));
  }

  @Test
  void module_noSocketConfigured_exitsTwoWithReason() throws Exception {
    ProcessBuilder pb = javaCommand();
    pb.environment().remove("BLVM_SOCKET");
    pb.environment().remove("BLVM_TOKEN");
    pb.redirectErrorStream(true);
    process = pb.start();
    String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);

    assertTrue(process.waitFor(20, TimeUnit.SECONDS));
    assertEquals(2, process.exitValue());
    assertTrue(out.contains("BLVM_SOCKET"), out);
  }

  // ------------------------------------------------------------------ scripted node

  private void startAndWelcome(JsonNode config) throws Exception {
    node =
        FakeNode.start(tmp)
            .token(TOKEN)
            .welcomeAs(
                "test-module",
                List.of(Capability.READ_BLOCKCHAIN, Capability.PUBLISH_EVENTS),
                tmp.toString())
            .welcomeConfig(config);
    ProcessBuilder pb = javaCommand();
    pb.environment().put("BLVM_SOCKET", node.socket().toString());
    pb.environment().put("BLVM_TOKEN", TOKEN);
    pb.environment().put("BLVM_DATA_DIR", tmp.toString());
    pb.redirectError(ProcessBuilder.Redirect.INHERIT);
    pb.redirectOutput(ProcessBuilder.Redirect.INHERIT);
    process = pb.start();
    Message.Hello hello = assertInstanceOf(Message.Hello.class, read());
    assertEquals(TOKEN, hello.token());
  }

  private static ProcessBuilder javaCommand() {
    String jar = System.getProperty("blvm.testModuleJar");
    assertTrue(jar != null && Files.isRegularFile(Path.of(jar)), "shaded jar not found: " + jar);
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-jar");
    cmd.add(jar);
    return new ProcessBuilder(cmd);
  }

  /**
   * The module's next request, which must be this setup request (the fake node has answered it:
   * subscribe_events with every event asked for, the others with an empty map).
   */
  private Message.Request expectSetup(String method) throws Exception {
    Message.Request r = readRequest();
    assertEquals(method, r.method());
    return r;
  }

  private Message.Request readRequest() throws Exception {
    return assertInstanceOf(Message.Request.class, read());
  }

  private Message read() throws InterruptedException {
    return node.next(WAIT);
  }

  private void send(Message m) throws Exception {
    node.send(m);
  }

  private static Message.Event newBlock(long seq) {
    return new Message.Event(
        seq,
        "NewBlock",
        null,
        CODEC.toTree(new EventPayloads.NewBlock(HASH, 5, "00".repeat(32), 1_700_000_000L, 3)));
  }

  private static Api.Block block() {
    return new Api.Block(
        new Api.BlockHeader(HASH, "00".repeat(32), "11".repeat(32), 5, 1_700_000_000L, 1, 2, 4),
        List.of("aa".repeat(32), "bb".repeat(32), "cc".repeat(32)),
        400);
  }
}
