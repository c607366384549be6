package org.blvm.examples.testmodule;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import org.blvm.protocol.Api;
import org.blvm.protocol.EventPayloads;
import org.blvm.protocol.EventType;
import org.blvm.protocol.Message;
import org.blvm.protocol.ModuleContext;
import org.blvm.sdk.ModuleClient;
import org.blvm.sdk.ModuleConnectException;
import org.blvm.sdk.NodeApiException;

/**
 * The module the end-to-end tests and the demo run.
 *
 * <ul>
 *   <li>On each NewBlock: fetches the block, publishes {@code test.block_seen} {@code {module_id,
 *       height, hash, tx_count, seq}} and logs {@code block <height> <hash> txs=<n> seq=<seq>}.
 *   <li>Serves {@code echo} ({@code {caller, params}}) and {@code call_back} (calls the caller's
 *       {@code echo} through the node and returns its answer).
 *   <li>Config {@code "log_echo": true}: logs each {@code echo} it serves as {@code echo from
 *       <caller> params=<params as JSON>}.
 *   <li>Config {@code "calls_on_block": [{target, method, params}, ...]}: on each NewBlock, first
 *       makes each of these module calls and logs {@code call <index> ok <answer as JSON>} or
 *       {@code call <index> error <code> <message>}.
 *   <li>Config {@code "discover_on_block": true}: on each NewBlock, first calls {@code
 *       discover_modules} and logs {@code discover <module>:<state>:<methods joined by ,> ...} (by
 *       name) or {@code discover error <code> <message>}.
 *   <li>Config {@code "ignore_stop": true}: the stop is answered but the process keeps running, and
 *       also ignores SIGTERM, until it is killed (SIGKILL).
 *   <li>Config {@code "call_on_block": "<module>"}: on each block, also calls that module's {@code
 *       call_back} (which calls this module's {@code echo}) and adds the answer to the report as
 *       {@code call}.
 *   <li>Config {@code "exit_after_blocks": N}: exits with status 3 after handling N blocks.
 *   <li>Config {@code "log_environment": true}: right after connecting, logs {@code environment
 *       names=<sorted variable names> BLVM_SOCKET=… BLVM_DATA_DIR=… HOME=… PATH=… LANG=… PWD=…
 *       cwd=<working directory> socket_path=… data_dir=…} (the last two from the welcome; the
 *       token's value is never logged).
 *   <li>Config {@code "attack_class_data": true}: right after connecting, tries to change the
 *       class-data archive its JVM maps and makes one node call ({@link ClassDataAttack}).
 *   <li>Config {@code "probe": {...}}: right after connecting, tries what a hostile module would
 *       (publish a core event and an undeclared topic, call the modules named in {@code
 *       call_targets}, send {@code flood} requests as fast as it can) and publishes what the node
 *       answered as {@code test.probe} {@code {results: {name: "ok" | error code}, flood_ok,
 *       flood_rate_limited}}.
 *   <li>Config {@code "report_on_start": [{name, value, labels}, ...]}: right after connecting,
 *       reports each with {@code report_metric}, in order, and logs {@code metric <name> ok} or
 *       {@code metric <name> refused <code>}.
 *   <li>Config {@code "net_get": "host:port"}: right after connecting, asks the node for a
 *       connection there ({@code api().connect}), sends {@code GET / HTTP/1.0} and prints {@code
 *       net_get answer <the answer on one line>} (or {@code net_get error <code> <message>}); then
 *       prints whether the CA certificates are readable ({@code net_get ca_certificates true}),
 *       tries a TCP socket of its own and prints {@code net_get own_socket <what happened>}.
 *   <li>Config {@code "net_listen": "ip:port"}: asks for that listening socket ({@code
 *       api().listen}), accepts one client, greets it with {@code hello from the jvm module} and
 *       prints {@code net_listen served}.
 * </ul>
 *
 * <p>Exit status: 0 after a stop, 2 when connecting fails (reason on stderr), 3 for
 * exit_after_blocks.
 */
public final class TestModule {
  static final String BLOCK_SEEN = "test.block_seen";
  static final String PROBE = "test.probe";
  static final int EXIT_CONNECT_FAILED = 2;
  static final int EXIT_AFTER_BLOCKS = 3;

  private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

  /** Set right after connect() returns; handlers wait for it (they may run right away). */
  private final CompletableFuture<ModuleClient> client = new CompletableFuture<>();

  private final AtomicLong blocks = new AtomicLong();

  private TestModule() {}

  public static void main(String[] args) throws InterruptedException {
    TestModule module = new TestModule();
    ModuleClient client;
    try {
      client =
          ModuleClient.builder(args)
              .onEvent(EventType.NewBlock, EventPayloads.NewBlock.class, module::onNewBlock)
              .serve("echo", module::echoServed)
              .serve("call_back", module::callBack)
              .onStop(module::onStop)
              .connect();
    } catch (ModuleConnectException e) {
      System.err.println(
          "blvm-test-module: cannot connect (" + e.reason() + "): " + e.getMessage());
      System.exit(EXIT_CONNECT_FAILED);
      return;
    }
    module.client.complete(client);
    for (JsonNode m : client.context().config().path("report_on_start")) {
      report(client, m);
    }
    if (client.context().config().path("log_environment").asBoolean(false)) {
      logEnvironment(client);
    }
    String netGet = client.context().config().path("net_get").asText("");
    if (!netGet.isEmpty()) {
      netGet(client, netGet);
    }
    String netListen = client.context().config().path("net_listen").asText("");
    if (!netListen.isEmpty()) {
      netListen(client, netListen);
    }
    if (client.context().config().path("attack_class_data").asBoolean(false)) {
      ClassDataAttack.run(client);
    }
    JsonNode probe = client.context().config().path("probe");
    if (probe.isObject()) {
      probe(client, probe);
    }
    client.awaitShutdown();
    if (ignoreStop(client.context())) {
      hangUntilKilled();
    }
    System.exit(0);
  }

  /** Reports one metric of {@code report_on_start} and logs the node's answer. */
  private static void report(ModuleClient c, JsonNode m) {
    Map<String, String> labels = new TreeMap<>();
    m.path("labels").fields().forEachRemaining(e -> labels.put(e.getKey(), e.getValue().asText()));
    String name = m.path("name").asText();
    String outcome;
    try {
      c.api().reportMetric(name, m.path("value").asDouble(), labels);
      outcome = "ok";
    } catch (NodeApiException e) {
      outcome = "refused " + e.code();
    }
    c.log(Message.LogLevel.INFO, "metric " + name + " " + outcome);
  }

  private static void netGet(ModuleClient c, String target) {
    int colon = target.lastIndexOf(':');
    String host = target.substring(0, colon);
    int port = Integer.parseInt(target.substring(colon + 1));
    try (java.net.Socket s = c.api().connect(host, port)) {
      s.setSoTimeout(10_000);
      s.getOutputStream()
          .write("GET / HTTP/1.0\r\nHost: test\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      String answer = new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
      System.out.println("net_get answer " + answer.replace("\r", " ").replace("\n", " "));
    } catch (NodeApiException e) {
      System.out.println("net_get error " + e.error().code().name() + " " + e.error().message());
    } catch (java.io.IOException e) {
      System.out.println("net_get io " + e);
    }
    System.out.println(
        "net_get ca_certificates "
            + java.nio.file.Files.isDirectory(java.nio.file.Path.of("/etc/ssl/certs")));
    try (java.net.Socket own = new java.net.Socket()) {
      own.connect(new java.net.InetSocketAddress(host, port), 2_000);
      System.out.println("net_get own_socket connected");
    } catch (java.io.IOException e) {
      System.out.println("net_get own_socket " + e);
    }
    System.out.flush();
  }

  private static void netListen(ModuleClient c, String address) {
    try (java.nio.channels.ServerSocketChannel l = c.api().listen(address);
        java.nio.channels.SocketChannel client = l.accept()) {
      client.write(
          java.nio.ByteBuffer.wrap(
              "hello from the jvm module\n".getBytes(StandardCharsets.US_ASCII)));
      System.out.println("net_listen served");
    } catch (NodeApiException e) {
      System.out.println("net_listen error " + e.error().code().name() + " " + e.error().message());
    } catch (java.io.IOException e) {
      System.out.println("net_listen io " + e);
    }
    System.out.flush();
  }

  private static void logEnvironment(ModuleClient c) {
    Map<String, String> env = System.getenv();
    StringBuilder line =
        new StringBuilder("environment names=")
            .append(String.join(",", new TreeSet<>(env.keySet())));
    for (String name :
        new String[] {"BLVM_SOCKET", "BLVM_DATA_DIR", "HOME", "PATH", "LANG", "PWD"}) {
      line.append(' ').append(name).append('=').append(env.get(name));
    }
    line.append(" cwd=").append(System.getProperty("user.dir"));
    line.append(" socket_path=").append(c.context().socketPath());
    line.append(" data_dir=").append(c.context().dataDir());
    c.log(Message.LogLevel.INFO, line.toString());
  }

  private void onNewBlock(Message.Event event, EventPayloads.NewBlock block)
      throws NodeApiException {
    ModuleClient c = client.join();
    callsOnBlock(c);
    Api.Block full = c.api().getBlock(block.hash());
    int txCount = full.txids().size();
    ObjectNode seen = JSON.objectNode();
    seen.put("module_id", c.context().moduleId());
    seen.put("height", full.header().height());
    seen.put("hash", full.header().hash());
    seen.put("tx_count", txCount);
    seen.put("seq", event.seq());
    String target = c.context().config().path("call_on_block").asText("");
    if (!target.isEmpty()) {
      // A module-to-module call whose target calls straight back into this module.
      ObjectNode params = JSON.objectNode().put("height", full.header().height());
      seen.set("call", c.api().callModule(target, "call_back", params));
    }
    c.api().publishEvent(BLOCK_SEEN, seen);
    c.log(
        Message.LogLevel.INFO,
        "block "
            + full.header().height()
            + " "
            + full.header().hash()
            + " txs="
            + txCount
            + " seq="
            + event.seq());
    long limit = c.context().config().path("exit_after_blocks").asLong(0);
    if (limit > 0 && blocks.incrementAndGet() >= limit) {
      System.err.println("blvm-test-module: exit_after_blocks=" + limit + " reached; exiting 3");
      System.exit(EXIT_AFTER_BLOCKS);
    }
  }

  /** Tries what the node must refuse and reports every answer (see the class comment). */
  private static void probe(ModuleClient c, JsonNode probe) {
    ObjectNode results = JSON.objectNode();
    results.put("publish_core", outcome(() -> c.api().publishEvent("NewBlock", JSON.objectNode())));
    results.put(
        "publish_undeclared",
        outcome(() -> c.api().publishEvent("other.topic", JSON.objectNode())));
    for (JsonNode target : probe.path("call_targets")) {
      results.put(
          "call_" + target.asText(),
          outcome(
              () -> {
                JsonNode answer = c.api().callModule(target.asText(), "echo", JSON.objectNode());
                if (!c.context().moduleId().equals(answer.path("caller").asText())) {
                  throw new IllegalStateException("the target saw caller " + answer);
                }
              }));
    }
    long ok = 0;
    long limited = 0;
    for (int i = 0; i < probe.path("flood").asInt(0); i++) {
      String r = outcome(() -> c.api().getChainTip());
      if (r.equals("ok")) {
        ok++;
      } else if (r.equals("RATE_LIMITED")) {
        limited++;
      }
    }
    ObjectNode report = JSON.objectNode();
    report.set("results", results);
    report.put("flood_ok", ok);
    report.put("flood_rate_limited", limited);
    // the flood emptied the rate-limit bucket: wait for a token (bounded)
    for (int attempt = 0; attempt < 100; attempt++) {
      try {
        c.api().publishEvent(PROBE, report);
        return;
      } catch (NodeApiException e) {
        if (e.error().code() != org.blvm.protocol.ErrorCode.RATE_LIMITED) {
          c.log(Message.LogLevel.ERROR, "cannot publish the probe report: " + e.getMessage());
          return;
        }
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  private interface Attempt {
    void run() throws Exception;
  }

  private static String outcome(Attempt a) {
    try {
      a.run();
      return "ok";
    } catch (NodeApiException e) {
      return e.error().code().name();
    } catch (Exception e) {
      return "failed: " + e;
    }
  }

  private JsonNode echoServed(String caller, JsonNode params) {
    ModuleClient c = client.join();
    if (c.context().config().path("log_echo").asBoolean(false)) {
      c.log(Message.LogLevel.INFO, "echo from " + caller + " params=" + params);
    }
    return echo(caller, params);
  }

  /** Makes each call of {@code calls_on_block} and logs the answer (see the class comment). */
  private static void callsOnBlock(ModuleClient c) {
    if (c.context().config().path("discover_on_block").asBoolean(false)) {
      StringBuilder line = new StringBuilder("discover");
      try {
        for (Api.ModuleInfo m : c.api().discoverModules()) {
          line.append(' ')
              .append(m.moduleId())
              .append(':')
              .append(m.state())
              .append(':')
              .append(String.join(",", m.methods()));
        }
      } catch (NodeApiException e) {
        line.append(" error ")
            .append(e.error().code().name())
            .append(' ')
            .append(e.error().message());
      }
      c.log(Message.LogLevel.INFO, line.toString());
    }
    int i = 0;
    for (JsonNode call : c.context().config().path("calls_on_block")) {
      String line;
      try {
        JsonNode answer =
            c.api()
                .callModule(
                    call.path("target").asText(), call.path("method").asText(), call.get("params"));
        line = "ok " + answer;
      } catch (NodeApiException e) {
        line = "error " + e.error().code().name() + " " + e.error().message();
      }
      c.log(Message.LogLevel.INFO, "call " + i++ + " " + line);
    }
  }

  static JsonNode echo(String caller, JsonNode params) {
    ObjectNode result = JSON.objectNode();
    result.put("caller", caller);
    result.set("params", params);
    return result;
  }

  private JsonNode callBack(String caller, JsonNode params) throws NodeApiException {
    if (caller == null) {
      throw new IllegalArgumentException("call_back needs a calling module");
    }
    return client.join().api().callModule(caller, "echo", params);
  }

  private void onStop() {
    ModuleClient c = client.join();
    if (ignoreStop(c.context())) {
      c.log(Message.LogLevel.WARN, "ignore_stop is set: staying up until killed");
    }
  }

  static boolean ignoreStop(ModuleContext ctx) {
    return ctx.config().path("ignore_stop").asBoolean(false);
  }

  /**
   * A stuck module: blocks even SIGTERM (the shutdown hook never returns), so only SIGKILL ends it.
   */
  private static void hangUntilKilled() throws InterruptedException {
    CountDownLatch never = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  try {
                    never.await();
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  }
                },
                "test-module-ignore-sigterm"));
    never.await();
  }
}
