package org.blvm.modules.governance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManagerFactory;
import org.blvm.testsupport.TestCertificate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.function.ThrowingSupplier;

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
    return targetAt(scheme + "://127.0.0.1:" + server.getAddress().getPort() + path, "node-1");
  }

  private static WebhookTarget targetAt(String url, String nodeId) throws Exception {
    ObjectMapper json = new ObjectMapper();
    ObjectNode config = json.createObjectNode();
    config
        .putObject("governance")
        .put("webhook_url", url)
        .put("node_id", nodeId)
        .put("webhook_secret", SECRET);
    return WebhookTarget.read(config);
  }

  /** An SSL context trusting only {@code cert}: what a JDK's default trust store could hold. */
  private static SSLContext trusting(TestCertificate cert) throws Exception {
    KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
    ks.load(null, null);
    ks.setCertificateEntry("trusted", cert.certificate());
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(ks);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, tmf.getTrustManagers(), null);
    return ctx;
  }

  /** A plain connection whose input counts the bytes the client read from it. */
  private static final class CountingSocket extends Socket {
    final AtomicLong read = new AtomicLong();
    private InputStream in;

    CountingSocket(String host, int port) throws IOException {
      super(host, port);
    }

    @Override
    public synchronized InputStream getInputStream() throws IOException {
      if (in == null) {
        in =
            new FilterInputStream(super.getInputStream()) {
              @Override
              public int read() throws IOException {
                int b = super.read();
                if (b != -1) {
                  read.incrementAndGet();
                }
                return b;
              }

              @Override
              public int read(byte[] b, int off, int len) throws IOException {
                int n = super.read(b, off, len);
                if (n > 0) {
                  read.addAndGet(n);
                }
                return n;
              }
            };
      }
      return in;
    }
  }

  /** A client whose connections count what it reads; the last one in {@code socket}. */
  private static WebhookClient counting(AtomicReference<CountingSocket> socket) {
    return new WebhookClient(
        (h, p) -> {
          CountingSocket c = new CountingSocket(h, p);
          socket.set(c);
          return c;
        },
        Duration.ofMinutes(5), // longer than the test may take: only the status line ends a post
        null);
  }

  /**
   * Runs a post on a thread of its own and fails the test if it has not ended within 30 s: a client
   * that blocks in a read (on a body, on an answer that never comes) fails instead of hanging the
   * build.
   */
  private static int bounded(ThrowingSupplier<Integer> post) {
    return assertTimeoutPreemptively(Duration.ofSeconds(30), post);
  }

  /** The failure of a bounded post to {@code url}. */
  private static WebhookClient.DeliveryException refused(WebhookClient c, String url) {
    return assertThrows(
        WebhookClient.DeliveryException.class, () -> bounded(() -> c.post(targetAt(url, "n"), N)));
  }

  private static final String STATUS_LINE = "HTTP/1.1 200 OK\r\n";

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

  @Test
  void post_httpsWithCaPem_trustsOnlyThoseCertificatesNeverTheJdkDefault() throws Exception {
    TestCertificate configured = TestCertificate.selfSigned("ip:127.0.0.1");
    TestCertificate other = TestCertificate.selfSigned("ip:127.0.0.1");
    serveHttps(other);
    SSLContext before = SSLContext.getDefault();
    SSLContext.setDefault(trusting(other));
    try {
      // the JDK's default context trusts the receiver's certificate ...
      assertEquals(200, client(WebhookClient.tls("")).post(target("https", "/default"), N));
      // ... a ca_pem without it does not fall back to that default
      WebhookClient.DeliveryException e =
          assertThrows(
              WebhookClient.DeliveryException.class,
              () ->
                  client(WebhookClient.tls(configured.pem())).post(target("https", "/ca-pem"), N));
      assertTrue(e.getMessage().contains("SSLHandshakeException"), e.getMessage());
      // every certificate of ca_pem is trusted, the second one as much as the first
      assertEquals(
          200,
          client(WebhookClient.tls(configured.pem() + other.pem()))
              .post(target("https", "/both"), N));
    } finally {
      SSLContext.setDefault(before);
    }
    assertEquals(List.of("/default", "/both"), received.stream().map(Received::path).toList());
  }

  @Test
  @Timeout(60)
  void post_answerWithAnEndlessBody_acknowledgedOnTheStatusLineReadingNothingMore()
      throws Exception {
    try (RawReceiver r =
        new RawReceiver(
            out -> {
              out.write(
                  (STATUS_LINE + "Content-Length: 1000000000000\r\n\r\n")
                      .getBytes(StandardCharsets.US_ASCII));
              byte[] chunk = new byte[64 * 1024];
              while (true) {
                out.write(chunk); // until the client has gone
              }
            })) {
      AtomicReference<CountingSocket> s = new AtomicReference<>();
      assertEquals(
          200,
          bounded(() -> counting(s).post(targetAt("http://127.0.0.1:" + r.port() + "/", "n"), N)));
      assertEquals(STATUS_LINE.length(), s.get().read.get(), "bytes read of the answer");
      assertTrue(s.get().isClosed());
      // the receiver's writing ends: the client closed the connection instead of reading on
      assertTrue(r.answerEnded.get(30, TimeUnit.SECONDS).startsWith("failed: "));
    }
  }

  @Test
  @Timeout(60)
  void post_answerWhoseBodyNeverEnds_acknowledgedOnTheStatusLine() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    try (RawReceiver r =
        new RawReceiver(
            out -> {
              out.write(
                  (STATUS_LINE + "Content-Length: 100\r\n\r\n{\"partial\":")
                      .getBytes(StandardCharsets.US_ASCII));
              out.flush();
              try {
                release.await(); // the body never ends while the client is posting
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            })) {
      AtomicReference<CountingSocket> s = new AtomicReference<>();
      assertEquals(
          200,
          bounded(() -> counting(s).post(targetAt("http://127.0.0.1:" + r.port() + "/", "n"), N)));
      assertEquals(STATUS_LINE.length(), s.get().read.get(), "bytes read of the answer");
    } finally {
      release.countDown();
    }
  }

  @Test
  @Timeout(60)
  void post_statusLineWithoutEnd_refusedAfterItsBound() throws Exception {
    try (RawReceiver r =
        new RawReceiver(
            out -> {
              byte[] chunk = "HTTP/1.1 200 ".repeat(1000).getBytes(StandardCharsets.US_ASCII);
              while (true) {
                out.write(chunk); // no end of line, ever
              }
            })) {
      AtomicReference<CountingSocket> s = new AtomicReference<>();
      WebhookClient.DeliveryException e =
          refused(counting(s), "http://127.0.0.1:" + r.port() + "/");
      assertEquals("the receiver's status line is over 8192 bytes", e.getMessage());
      assertEquals(0, e.status());
      assertEquals(8193, s.get().read.get(), "bytes read of the answer");
    }
  }

  @Test
  void post_nodeIdHeader_eachCharacterOutsidePrintableAsciiAsOneQuestionMark() throws Exception {
    try (RawReceiver r =
        new RawReceiver(
            out ->
                out.write("HTTP/1.1 204 No Content\r\n\r\n".getBytes(StandardCharsets.US_ASCII)))) {
      String nodeId = "n\u0001-\u00e9-\ud83d\ude00-\t-\u007f~ \r\nX-Injected: 1";
      assertEquals(
          204, client(null).post(targetAt("http://127.0.0.1:" + r.port() + "/", nodeId), N));
      byte[] head = r.head.get(30, TimeUnit.SECONDS);
      List<String> lines = List.of(new String(head, StandardCharsets.ISO_8859_1).split("\r\n"));
      assertEquals(
          List.of("X-Blvm-Node-Id: n?-?-?-?-?~ ??X-Injected: 1"),
          lines.stream().filter(l -> l.startsWith("X-Blvm-Node-Id:")).toList());
      assertTrue(lines.stream().noneMatch(l -> l.startsWith("X-Injected")), "no header injected");
      assertEquals("POST / HTTP/1.1", lines.get(0));
      assertTrue(lines.contains("Connection: close"), lines.toString());
      assertTrue(lines.contains("Content-Type: application/json"), lines.toString());
      for (byte b : head) {
        assertTrue(b == '\r' || b == '\n' || (b >= 0x20 && b <= 0x7e), "byte " + b);
      }
    }
  }

  /** A receiver that takes the request and never answers (nor, for TLS, shakes hands). */
  private static RawReceiver silent(CountDownLatch release) throws Exception {
    return new RawReceiver(
        out -> {
          try {
            release.await();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        });
  }

  @Test
  @Timeout(60)
  void post_noAnswerWithinTheTimeout_failsWithoutStatus() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    try (RawReceiver r = silent(release)) {
      WebhookClient c = new WebhookClient((h, p) -> new Socket(h, p), Duration.ofMillis(200), null);
      WebhookClient.DeliveryException e = refused(c, "http://127.0.0.1:" + r.port() + "/");
      assertTrue(e.getMessage().contains("SocketTimeoutException"), e.getMessage());
      assertEquals(0, e.status());
    } finally {
      release.countDown();
    }
  }

  @Test
  @Timeout(60)
  void post_tlsHandshakeNeverAnswered_failsAfterTheTimeout() throws Exception {
    // a plain socket that reads nothing: the client's ClientHello stays unanswered
    try (java.net.ServerSocket quiet =
        new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      WebhookClient c =
          new WebhookClient(
              (h, p) -> new Socket(h, p),
              Duration.ofMillis(200),
              WebhookClient.tls(TestCertificate.selfSigned("ip:127.0.0.1").pem()));
      WebhookClient.DeliveryException e =
          refused(c, "https://127.0.0.1:" + quiet.getLocalPort() + "/");
      assertTrue(e.getMessage().contains("SocketTimeoutException"), e.getMessage());
    }
  }
}
