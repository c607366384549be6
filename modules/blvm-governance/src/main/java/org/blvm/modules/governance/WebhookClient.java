package org.blvm.modules.governance;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManagerFactory;

/**
 * Posts one notification over a socket it is handed: HTTP/1.1 written by hand, one request per
 * connection ({@code Connection: close}), with TLS layered over the socket for {@code https}
 * (hostname verification on; the configured CA certificates or the JDK's). The answer's status line
 * is all it reads; 2xx is an acknowledgement.
 */
final class WebhookClient {
  static final String IDEMPOTENCY_HEADER = "Idempotency-Key";
  static final String NODE_HEADER = "X-Blvm-Node-Id";
  static final String TYPE_HEADER = "X-Blvm-Notification";
  private static final int MAX_STATUS_LINE = 8192;

  /** Opens a TCP connection to a host and port (the node's broker, in the module). */
  @FunctionalInterface
  interface Connector {
    Socket connect(String host, int port) throws Exception;
  }

  /** Why an attempt failed: the receiver's status, or what went wrong before there was one. */
  static final class DeliveryException extends Exception {
    private static final long serialVersionUID = 1L;
    private final int status;

    DeliveryException(int status, String message) {
      super(message);
      this.status = status;
    }

    /** The receiver's HTTP status, or 0 when there was none. */
    int status() {
      return status;
    }
  }

  private final Connector connector;
  private final Duration timeout;
  private final SSLSocketFactory tls;

  /** {@code tls} null: {@code https} deliveries fail (no usable CA certificates). */
  WebhookClient(Connector connector, Duration timeout, SSLSocketFactory tls) {
    this.connector = connector;
    this.timeout = timeout;
    this.tls = tls;
  }

  /**
   * The TLS of {@code https} deliveries: trusting only the certificates of {@code caPem} (never the
   * JDK's CAs in addition), or the JDK's default context ({@link SSLContext#getDefault}) when
   * empty.
   */
  static SSLSocketFactory tls(String caPem) throws GeneralSecurityException, IOException {
    if (caPem.isEmpty()) {
      return SSLContext.getDefault().getSocketFactory();
    }
    KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
    trust.load(null, null);
    int i = 0;
    for (Certificate c :
        CertificateFactory.getInstance("X.509")
            .generateCertificates(
                new ByteArrayInputStream(caPem.getBytes(StandardCharsets.US_ASCII)))) {
      trust.setCertificateEntry("ca-" + Integer.toString(i++), c);
    }
    if (i == 0) {
      throw new GeneralSecurityException("ca_pem holds no certificate");
    }
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, tmf.getTrustManagers(), null);
    return ctx.getSocketFactory();
  }

  /**
   * Posts {@code n} to {@code target}; returns the 2xx status.
   *
   * @throws DeliveryException for anything else: a refused connection, a TLS failure, a timeout, a
   *     non-2xx answer
   */
  int post(WebhookTarget target, Notification n) throws DeliveryException {
    byte[] body = n.bodyBytes();
    String head =
        "POST "
            + target.path()
            + " HTTP/1.1\r\n"
            + "Host: "
            + hostHeader(target)
            + "\r\n"
            + "User-Agent: blvm-governance\r\n"
            + "Content-Type: application/json\r\n"
            + "Content-Length: "
            + Integer.toString(body.length)
            + "\r\n"
            + IDEMPOTENCY_HEADER
            + ": "
            + n.key()
            + "\r\n"
            + TYPE_HEADER
            + ": "
            + n.type()
            + "\r\n"
            + NODE_HEADER
            + ": "
            + headerSafe(target.nodeId())
            + "\r\n"
            + Signatures.HEADER
            + ": "
            + Signatures.sign(target.secret().bytes(), body)
            + "\r\n"
            + "Connection: close\r\n\r\n";
    Socket raw;
    try {
      raw = connector.connect(target.host(), target.port());
    } catch (Exception e) {
      throw new DeliveryException(
          0, "connect to " + target.host() + ":" + target.port() + ": " + e.getMessage());
    }
    try (Socket s = target.https() ? handshake(raw, target) : raw) {
      s.setSoTimeout((int) timeout.toMillis());
      OutputStream out = s.getOutputStream();
      out.write(head.getBytes(StandardCharsets.ISO_8859_1));
      out.write(body);
      out.flush();
      int status = status(s.getInputStream());
      if (status < 200 || status > 299) {
        throw new DeliveryException(status, "the receiver answered " + Integer.toString(status));
      }
      return status;
    } catch (IOException e) {
      closeQuietly(raw);
      throw new DeliveryException(0, e.toString());
    }
  }

  private Socket handshake(Socket raw, WebhookTarget target) throws IOException {
    if (tls == null) {
      throw new IOException("no usable CA certificates for https (ca_pem)");
    }
    raw.setSoTimeout((int) timeout.toMillis());
    SSLSocket s = (SSLSocket) tls.createSocket(raw, target.host(), target.port(), true);
    SSLParameters p = s.getSSLParameters();
    p.setEndpointIdentificationAlgorithm("HTTPS");
    s.setSSLParameters(p);
    s.startHandshake();
    return s;
  }

  private static String hostHeader(WebhookTarget t) {
    String h = t.host();
    return t.url().getPort() == -1 ? h : h + ":" + Integer.toString(t.port());
  }

  /** Each character (code point) outside printable ASCII, 0x20 to 0x7E, becomes one {@code ?}. */
  static String headerSafe(String v) {
    StringBuilder b = new StringBuilder(v.length());
    v.codePoints().forEach(c -> b.append(c >= 0x20 && c <= 0x7e ? (char) c : '?'));
    return b.toString();
  }

  /** Reads the status line ({@code HTTP/1.x NNN …}) and returns NNN. */
  private static int status(InputStream in) throws IOException, DeliveryException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    int b;
    while ((b = in.read()) != -1 && b != '\n') {
      if (line.size() >= MAX_STATUS_LINE) {
        throw new DeliveryException(0, "the receiver's status line is over 8192 bytes");
      }
      line.write(b);
    }
    String l = line.toString(StandardCharsets.ISO_8859_1).trim();
    String[] parts = l.split(" ", 3);
    if (parts.length < 2 || !parts[0].startsWith("HTTP/1.") || !parts[1].matches("\\d{3}")) {
      throw new DeliveryException(
          0, l.isEmpty() ? "the receiver closed without answering" : "not an HTTP answer");
    }
    return Integer.parseInt(parts[1]);
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException e) {
      // already failing; the first error is the one reported
    }
  }
}
