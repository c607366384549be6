package org.blvm.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real {@code blvm-node} process with a sandboxed module that reports metrics: its Prometheus
 * endpoint, scraped over HTTP, and {@code blvm-loader metrics} through the admin socket both pass
 * {@code promtool check metrics}, hold the series the module reported with their labels and the
 * values the loader counted; {@code blvm-loader security} prints the module's exposure.
 */
class NodeMetricsIT {
  @TempDir Path tmp;

  private static final Duration DEADLINE = Duration.ofSeconds(90);

  /** What the test module needs (it subscribes to NewBlock, serves echo) and report_metrics. */
  private static final String CAPS =
      "\"read_blockchain\", \"subscribe_events\", \"publish_events\","
          + " \"register_module_api\", \"report_metrics\"";

  private static final String REPORTS =
      "report_on_start = ["
          + "{name = \"blocks_seen\", value = 2, labels = {kind = \"new_block\"}},"
          + "{name = \"queue_size\", value = \"7.5\", labels = {}},"
          + "{name = \"bad-name\", value = 1, labels = {}},"
          + "{name = \"blocks_seen\", value = 3, labels = {kind = \"reorg\"}}]";

  @Test
  void metrics_scrapedOverHttpAndThroughTheCli_passPromtool_andHoldReportedAndCountedValues()
      throws Exception {
    SandboxFixture.requireSandbox();
    SandboxFixture.letSandboxEnter(tmp);
    Path home = Files.createDirectories(tmp.resolve("home"));
    SandboxFixture.letSandboxEnter(home);
    Path modules = Files.createDirectories(home.resolve("modules"));
    SandboxFixture.letSandboxEnter(modules);
    ModuleFixture.install(modules, "reporter", CAPS, REPORTS);
    SandboxFixture.letSandboxEnter(modules.resolve("reporter"));
    Files.writeString(
        home.resolve("policy.toml"),
        ModuleFixture.policyHeader() + "[defaults]\ncapabilities = [" + CAPS + "]\n");
    Files.writeString(home.resolve("node.toml"), "[simulation]\nblock_interval_seconds = 0\n");

    Process node =
        java(
            "org.blvm.node.host.BlvmNode",
            "run",
            "--home",
            home.toString(),
            "--metrics-listen",
            "127.0.0.1:0");
    BlockingQueue<String> lines = ProcessLines.of(node, "[blvm-node] ");
    try {
      String url = awaitLine(lines, Pattern.compile("blvm-node: metrics (http://\\S+/metrics)"));
      String scraped =
          pollUntil(url, "blvm_module_blocks_seen{kind=\"reorg\",module=\"reporter\"}");

      promtool(scraped);
      assertLine(scraped, "blvm_module_blocks_seen{kind=\"new_block\",module=\"reporter\"} 2.0");
      assertLine(scraped, "blvm_module_blocks_seen{kind=\"reorg\",module=\"reporter\"} 3.0");
      assertLine(scraped, "blvm_module_queue_size{module=\"reporter\"} 7.5");
      assertTrue(!scraped.contains("bad"), "the refused name is not exported");
      // what the loader counted: three reports answered ok, one refused with INVALID_PARAMS
      assertLine(
          scraped,
          "blvm_loader_calls_total{method=\"report_metric\",module=\"reporter\",result=\"ok\"} 3.0");
      assertLine(
          scraped,
          "blvm_loader_calls_total{method=\"report_metric\",module=\"reporter\","
              + "result=\"INVALID_PARAMS\"} 1.0");
      assertLine(scraped, "blvm_loader_module_state{module=\"reporter\",state=\"STARTED\"} 1.0");
      assertTrue(
          Pattern.compile(
                  "(?m)^blvm_loader_sandbox_resident_memory_bytes\\{module=\"reporter\"} [1-9]")
              .matcher(scraped)
              .find(),
          scraped);
      assertTrue(
          Pattern.compile("(?m)^blvm_loader_socket_read_bytes_total\\{module=\"reporter\"} [1-9]")
              .matcher(scraped)
              .find(),
          scraped);

      CliResult cli = cli("metrics", "--home", home.toString());
      assertEquals(0, cli.code(), cli.out());
      promtool(cli.out());
      assertLine(cli.out(), "blvm_module_blocks_seen{kind=\"new_block\",module=\"reporter\"} 2.0");
      assertLine(
          cli.out(),
          "blvm_loader_calls_total{method=\"report_metric\",module=\"reporter\",result=\"ok\"} 3.0");

      CliResult security = cli("security", "reporter", "--home", home.toString());
      assertEquals(0, security.code(), security.out());
      assertTrue(security.out().contains("exposure of reporter:"), security.out());
      assertTrue(
          security.out().contains("+0.1  cap_report_metrics: reports metrics the node exports"),
          security.out());
      assertTrue(
          security.out().contains(SandboxFixture.isRoot() ? "shared_uid" : "node_uid"),
          security.out());
      assertTrue(security.out().contains("overall exposure "), security.out());
      assertTrue(!security.out().contains("not scored"), security.out());
      CliResult unknown = cli("security", "nobody", "--home", home.toString());
      assertEquals(1, unknown.code(), unknown.out());
      assertTrue(unknown.out().contains("UNKNOWN_MODULE"), unknown.out());
    } catch (AssertionError e) {
      Path log = home.resolve("run").resolve("reporter.out.log");
      throw new AssertionError(
          e.getMessage()
              + "\nthe module's output:\n"
              + (Files.exists(log) ? Files.readString(log) : "(none)"),
          e);
    } finally {
      node.destroy();
      if (!node.waitFor(60, TimeUnit.SECONDS)) {
        node.destroyForcibly();
      }
    }
  }

  private static void assertLine(String text, String line) {
    assertTrue(text.lines().anyMatch(line::equals), () -> "no line\n" + line + "\nin\n" + text);
  }

  /** GETs {@code url} until the text holds {@code expected} (the module reported by then). */
  private static String pollUntil(String url, String expected) throws Exception {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    long deadline = System.nanoTime() + DEADLINE.toNanos();
    String body = "";
    while (System.nanoTime() < deadline) {
      HttpResponse<String> r =
          http.send(
              HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
              HttpResponse.BodyHandlers.ofString());
      assertEquals(200, r.statusCode(), r.body());
      body = r.body();
      if (body.contains(expected)) {
        return body;
      }
      Thread.sleep(100); // polling a remote process: each round is a new scrape
    }
    throw new AssertionError("no " + expected + " within " + DEADLINE + " in\n" + body);
  }

  private void promtool(String text) throws Exception {
    Path f = tmp.resolve("scrape.prom");
    Files.writeString(f, text);
    Process p =
        new ProcessBuilder("promtool", "check", "metrics")
            .redirectInput(f.toFile())
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "promtool did not finish");
    assertEquals(0, p.exitValue(), "promtool check metrics: " + out + "\non\n" + text);
  }

  private record CliResult(int code, String out) {}

  private static CliResult cli(String... args) throws Exception {
    List<String> a = new ArrayList<>(List.of(args));
    Process p = java("org.blvm.sign.BlvmLoader", a.toArray(new String[0]));
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "blvm-loader did not finish");
    return new CliResult(p.exitValue(), out);
  }

  private static Process java(String main, String... args) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    String user = System.getProperty("blvm.sandboxUser");
    if (user != null) {
      cmd.add("-Dblvm.sandboxUser=" + user);
    }
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(main);
    cmd.addAll(List.of(args));
    return new ProcessBuilder(cmd).redirectErrorStream(true).start();
  }

  /** The first group of the first line matching {@code p} (the whole line without a group). */
  private static String awaitLine(BlockingQueue<String> lines, Pattern p) throws Exception {
    long deadline = System.nanoTime() + DEADLINE.toNanos();
    while (System.nanoTime() < deadline) {
      String l = lines.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
      if (l == null) {
        break;
      }
      Matcher m = p.matcher(l);
      if (m.matches()) {
        return m.groupCount() > 0 ? m.group(1) : l;
      }
    }
    throw new AssertionError("blvm-node printed no line matching " + p + " within " + DEADLINE);
  }
}
