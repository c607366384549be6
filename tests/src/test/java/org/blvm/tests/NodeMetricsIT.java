package org.blvm.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
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

    try (NodeProcess node =
        NodeProcess.start(home, tmp.resolve("node.log"), "--metrics-listen", "127.0.0.1:0")) {
      Pattern at = Pattern.compile("blvm-node: metrics (http://\\S+/metrics)");
      node.awaitLine(l -> at.matcher(l).matches(), "the metrics address");
      String url = null;
      for (String l : node.lines()) {
        Matcher m = at.matcher(l);
        if (m.matches()) {
          url = m.group(1);
        }
      }
      String scraped;
      try {
        // the last report's value and its count: a call is counted after it took effect, so a
        // scrape can see the value before the count
        scraped =
            pollUntil(
                url,
                "blvm_module_blocks_seen{kind=\"reorg\",module=\"reporter\"}",
                "blvm_loader_calls_total{method=\"report_metric\",module=\"reporter\","
                    + "result=\"ok\"} 3.0");
      } catch (AssertionError e) {
        Path log = home.resolve("run").resolve("reporter.out.log");
        throw new AssertionError(
            e.getMessage()
                + "\n--- node output\n"
                + String.join("\n", node.lines())
                + "\n--- the module's output\n"
                + (Files.exists(log) ? Files.readString(log) : "(none)"),
            e);
      }

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

      NodeProcess.Cli cli = node.loader("metrics");
      assertEquals(0, cli.code(), cli.toString());
      promtool(cli.out());
      assertLine(cli.out(), "blvm_module_blocks_seen{kind=\"new_block\",module=\"reporter\"} 2.0");
      assertLine(
          cli.out(),
          "blvm_loader_calls_total{method=\"report_metric\",module=\"reporter\",result=\"ok\"} 3.0");
      NodeProcess.Cli one = node.loader("metrics", "reporter");
      assertEquals(0, one.code(), one.toString());
      assertLine(one.out(), "blvm_module_queue_size{module=\"reporter\"} 7.5");

      NodeProcess.Cli security = node.loader("security", "reporter");
      assertEquals(0, security.code(), security.toString());
      String sec = security.out();
      assertTrue(sec.contains("exposure of reporter:"), sec);
      assertTrue(sec.contains("+0.1  cap_report_metrics: reports metrics the node exports"), sec);
      // as root each sandbox runs as a uid of its own (no uid item); otherwise as the node's uid
      if (SandboxFixture.isRoot()) {
        assertTrue(!sec.contains("shared_uid") && !sec.contains("node_uid"), sec);
      } else {
        assertTrue(sec.contains("node_uid"), sec);
      }
      assertTrue(sec.contains("deny_list_profile"), sec);
      assertTrue(sec.contains("overall exposure "), sec);
      assertTrue(!sec.contains("not scored"), sec);
      NodeProcess.Cli unknown = node.loader("security", "nobody");
      assertEquals(1, unknown.code(), unknown.toString());
      assertTrue((unknown.out() + unknown.err()).contains("nobody"), unknown.toString());
    }
  }

  private static void assertLine(String text, String line) {
    assertTrue(text.lines().anyMatch(line::equals), () -> "no line\n" + line + "\nin\n" + text);
  }

  /** GETs {@code url} until the text holds every one of {@code expected}. */
  private static String pollUntil(String url, String... expected) throws Exception {
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
      String text = body;
      if (Arrays.stream(expected).allMatch(text::contains)) {
        return body;
      }
      Thread.sleep(100); // polling a remote process: each round is a new scrape
    }
    throw new AssertionError(
        "no " + String.join(" and ", expected) + " within " + DEADLINE + " in\n" + body);
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
}
