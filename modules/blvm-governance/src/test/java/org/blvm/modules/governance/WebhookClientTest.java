package org.blvm.modules.governance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.net.ssl.SSLSocketFactory;
import org.blvm.testsupport.TestCertificate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class WebhookClientTest {
  private static final String SECRET = "a-secret-of-16-bytes-or-more";

  /** What the receiver saw of one request. */
  record Received(String path, Map<String, List<String>> headers, byte[] body) {}

  private final List<Received> received = new CopyOnWriteArrayList<>();
  private HttpServer server;
  private volatile int answer = 200;

  @AfterEach
  void stop() {
    if (server != null) {
      server.stop(0);
    }
  }

  private void serve(HttpServer s) {
    server = s;
    s.createContext(
        "/",
        x -> {
          byte[] body = x.getRequestBody().readAllBytes();
          received.add(new Received(x.getRequestURI().toString(), x.getRequestHeaders(), body));
          x.sendResponseHeaders(answer, -1);
          x.close();
        });
    s.start();
  }

  private void serveHttps(TestCertificate cert) throws Exception {
    HttpsServer s = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    s.setHttpsConfigurator(new HttpsConfigurator(cert.serverContext()));
    serve(s);
  }

  private WebhookTarget target(String scheme, String path) throws Exception {
    String json =
        "{\"governance\":{\"webhook_url\":\""
            + scheme
            + "://127.0.0.1:"
            + server.getAddress().getPort()
            + path
            + "\",\"node_id\":\"node-1\",\"webhook_secret\":\""
            + SECRET
            + "\"}}";
    return WebhookTarget.read(new ObjectMapper().readTree(json));
  }

  private static WebhookClient client(SSLSocketFactory tls) {
    return new WebhookClient((h, p) -> new Socket(h, p), Duration.ofSeconds(5), tls);
  }

  private static final Notification N =
      new Notification(1, "gov-0123", "EconomicNodeVeto", "{\"type\":\"EconomicNodeVeto\"}");

  @Test
  void post_http_headersAndAVerifiableSignature() throws Exception {
    serve(HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0));
    assertEquals(200, client(null).post(target("http", "/hooks/gov?x=1"), N));
    Received r = received.get(0);
    assertEquals("/hooks/gov?x=1", r.path());
    assertEquals("{\"type\":\"EconomicNodeVeto\"}", new String(r.body(), StandardCharsets.UTF_8));
    assertEquals(List.of("gov-0123"), r.headers().get("Idempotency-key"));
    assertEquals(List.of("node-1"), r.headers().get("X-blvm-node-id"));
    assertEquals(List.of("EconomicNodeVeto"), r.headers().get("X-blvm-notification"));
    assertEquals(
        List.of(Signatures.sign(SECRET.getBytes(StandardCharsets.UTF_8), r.body())),
        r.headers().get("X-blvm-signature"));
  }

  @Test
  void post_non2xx_refusedWithTheStatus() throws Exception {
    serve(HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0));
    answer = 503;
    WebhookClient.DeliveryException e =
        assertThrows(
            WebhookClient.DeliveryException.class, () -> client(null).post(target("http", "/"), N));
    assertEquals(503, e.status());
  }

  @Test
  void post_nobodyListening_refusedWithoutStatus() throws Exception {
    serve(HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0));
    WebhookTarget t = target("http", "/");
    server.stop(0);
    server = null;
    WebhookClient.DeliveryException e =
        assertThrows(WebhookClient.DeliveryException.class, () -> client(null).post(t, N));
    assertEquals(0, e.status());
    assertTrue(e.getMessage().startsWith("connect to 127.0.0.1:"), e.getMessage());
  }

  @Test
  void post_httpsWithTheConfiguredCa_delivered() throws Exception {
    TestCertificate cert = TestCertificate.selfSigned("ip:127.0.0.1");
    serveHttps(cert);
    assertEquals(200, client(WebhookClient.tls(cert.pem())).post(target("https", "/tls"), N));
    assertEquals("/tls", received.get(0).path());
  }

  @Test
  void post_httpsCertificateForAnotherName_refusedByHostnameVerification() throws Exception {
    TestCertificate cert = TestCertificate.selfSigned("dns:other.example");
    serveHttps(cert);
    WebhookClient.DeliveryException e =
        assertThrows(
            WebhookClient.DeliveryException.class,
            () -> client(WebhookClient.tls(cert.pem())).post(target("https", "/"), N));
    assertTrue(e.getMessage().contains("127.0.0.1"), e.getMessage());
    assertEquals(List.of(), received);
  }

  @Test
  void post_httpsUntrustedCertificate_refusedWithTheJdkCas() throws Exception {
    TestCertificate cert = TestCertificate.selfSigned("ip:127.0.0.1");
    serveHttps(cert);
    WebhookClient.DeliveryException e =
        assertThrows(
            WebhookClient.DeliveryException.class,
            () -> client(WebhookClient.tls("")).post(target("https", "/"), N));
    assertTrue(e.getMessage().contains("SSLHandshakeException"), e.getMessage());
    assertEquals(List.of(), received);
  }

  @Test
  void post_httpsWithoutUsableCas_failsClosedNamingCaPem() throws Exception {
    serveHttps(TestCertificate.selfSigned("ip:127.0.0.1"));
    WebhookClient.DeliveryException e =
        assertThrows(
            WebhookClient.DeliveryException.class,
            () -> client(null).post(target("https", "/"), N));
    assertTrue(e.getMessage().contains("ca_pem"), e.getMessage());
    assertEquals(List.of(), received);
  }
}
