package org.blvm.node.admin;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.blvm.admin.AdminClient;
import org.blvm.admin.AdminErrorCode;
import org.blvm.admin.AdminException;
import org.blvm.admin.AdminProtocol;
import org.blvm.admin.AdminResponse;
import org.blvm.admin.LineReader;
import org.blvm.testsupport.Poll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;

/** The admin socket's framing, checks and bounds, against a real socket and real clients. */
class AdminServerTest {
  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

  @TempDir Path tmp;

  private final List<AutoCloseable> open = new ArrayList<>();
  private final CountDownLatch release = new CountDownLatch(1);
  private final List<String> cancelled = new CopyOnWriteArrayList<>();
  private final CountDownLatch following = new CountDownLatch(1);

  @AfterEach
  void closeAll() throws Exception {
    release.countDown();
    for (AutoCloseable c : open) {
      c.close();
    }
  }

  /** echo (returns its args), hold (waits until the test releases it), follow (streams). */
  private CommandRegistry commands() {
    AdminCommand echo =
        new AdminCommand() {
          @Override
          public String name() {
            return "test.echo";
          }

          @Override
          public JsonNode run(AdminCall call) {
            return call.request().args();
          }
        };
    AdminCommand hold =
        new AdminCommand() {
          @Override
          public String name() {
            return "test.hold";
          }

          @Override
          public JsonNode run(AdminCall call) throws InterruptedException {
            release.await(30, TimeUnit.SECONDS);
            return JSON.objectNode();
          }
        };
    AdminCommand follow =
        new AdminCommand() {
          @Override
          public String name() {
            return "test.follow";
          }

          @Override
          public JsonNode run(AdminCall call) throws InterruptedException, AdminException {
            int n = call.args().only("count").integer("count", 3, 0, 1000);
            for (int i = 0; i < n; i++) {
              call.emit(JSON.objectNode().put("i", i));
            }
            following.countDown();
            while (!call.awaitCancel(Duration.ofMillis(50))) {
              // until the client leaves
            }
            cancelled.add("follow");
            return JSON.objectNode();
          }
        };
    AdminCommand broken =
        new AdminCommand() {
          @Override
          public String name() {
            return "test.broken";
          }

          @Override
          public JsonNode run(AdminCall call) {
            throw new IllegalStateException("secret detail");
          }
        };
    return new CommandRegistry(List.of(echo, hold, follow, broken));
  }

  private AdminServer server(AdminServer.Settings settings) throws IOException {
    AdminServer s =
        AdminServer.start(
            tmp.resolve("run").resolve("admin.d").resolve("admin.sock"), commands(), settings);
    open.add(s);
    return s;
  }

  private AdminServer server() throws IOException {
    Files.createDirectories(tmp.resolve("run"));
    return server(AdminServer.Settings.defaults());
  }

  private AdminClient client(AdminServer s) throws IOException {
    AdminClient c = AdminClient.connect(s.socket());
    open.add(c);
    return c;
  }

  /** A raw connection: the test writes bytes and reads lines itself. */
  private final class Raw implements AutoCloseable {
    final AFUNIXSocket sock;
    final OutputStream out;
    final LineReader in;

    Raw(AdminServer s) throws IOException {
      sock = AFUNIXSocket.connectTo(AFUNIXSocketAddress.of(s.socket().toFile()));
      sock.setSoTimeout(20_000);
      out = sock.getOutputStream();
      InputStream is = sock.getInputStream();
      in = new LineReader(is::read);
      open.add(this);
    }

    void send(String s) throws IOException {
      out.write(s.getBytes(UTF_8));
      out.flush();
    }

    AdminResponse read() throws IOException {
      byte[] line = in.readLine(AdminProtocol.MAX_RESPONSE_BYTES);
      return line == null ? null : AdminResponse.decode(line);
    }

    @Override
    public void close() throws IOException {
      sock.close();
    }
  }

  @Test
  void start_socketAndDirectory_privateToTheNode() throws Exception {
    AdminServer s = server();
    assertEquals(
        "rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(s.socket())));
    assertEquals(
        "rwx------",
        PosixFilePermissions.toString(Files.getPosixFilePermissions(s.socket().getParent())));
  }

  @Test
  void start_directoryOpenToOthers_refusedAndLeftAsItWas() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("run").resolve("admin.d"));
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-x---"));
    IOException e = assertThrows(IOException.class, () -> server(AdminServer.Settings.defaults()));
    assertTrue(e.getMessage().contains("rwxr-x---"), e.getMessage());
    assertEquals("rwxr-x---", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)));
  }

  @Test
  void start_staleSocketReplaced_liveOneRefused() throws Exception {
    AdminServer first = server();
    IOException e = assertThrows(IOException.class, () -> server(AdminServer.Settings.defaults()));
    assertTrue(e.getMessage().contains("another node"), e.getMessage());
    first.close();
    // a socket file nobody listens on (the node was killed): replaced
    try (var stale = org.newsclub.net.unix.AFUNIXServerSocket.newInstance()) {
      stale.bind(AFUNIXSocketAddress.of(first.socket().toFile()));
    }
    AdminServer second = server(AdminServer.Settings.defaults());
    assertEquals(JSON.objectNode(), client(second).call("test.echo", JSON.objectNode(), WAIT));
  }

  @Test
  void call_request_answeredWithItsResult() throws Exception {
    AdminServer s = server();
    ObjectNode args = JSON.objectNode().put("x", 1);
    AdminClient c = client(s);
    assertEquals(args, c.call("test.echo", args, WAIT));
    assertEquals(args, c.call("test.echo", args, WAIT)); // the connection serves several
  }

  @Test
  void call_unknownCommandOrBrokenCommand_errorAndTheConnectionStays() throws Exception {
    AdminServer s = server();
    AdminClient c = client(s);
    AdminException unknown =
        assertThrows(AdminException.class, () -> c.call("no.such", JSON.objectNode(), WAIT));
    assertEquals(AdminErrorCode.UNKNOWN_COMMAND, unknown.code());
    assertTrue(unknown.reason().contains("test.echo"), unknown.reason());
    AdminException broken =
        assertThrows(AdminException.class, () -> c.call("test.broken", JSON.objectNode(), WAIT));
    assertEquals(AdminErrorCode.INTERNAL, broken.code());
    assertFalse(broken.reason().contains("secret"), broken.reason());
    assertEquals(JSON.objectNode(), c.call("test.echo", JSON.objectNode(), WAIT));
  }

  @Test
  void malformedLines_badRequestWithTheIdWhenKnown_theConnectionStays() throws Exception {
    Raw r = new Raw(server());
    r.send("hello\n");
    AdminResponse a = r.read();
    assertEquals(AdminErrorCode.BAD_REQUEST, a.error().code());
    assertEquals(-1, a.id());
    r.send("{\"id\":4,\"command\":\"test.echo\",\"extra\":true}\n");
    assertEquals(4, r.read().id());
    r.send("{\"id\":5,\"command\":\"test.echo\"}\n");
    AdminResponse ok = r.read();
    assertEquals(AdminResponse.Kind.RESULT, ok.kind());
    assertEquals(5, ok.id());
  }

  @Test
  void oversizedLine_tooLargeThenClosed() throws Exception {
    Raw r = new Raw(server());
    byte[] big = new byte[AdminProtocol.MAX_REQUEST_BYTES + 10];
    Arrays.fill(big, (byte) 'x');
    r.out.write(big);
    r.out.flush();
    assertEquals(AdminErrorCode.TOO_LARGE, r.read().error().code());
    assertNull(r.read(), "the node closes after a line too long");
  }

  @Test
  void requestFlood_overTheRate_rateLimitedAndOthersStillServed() throws Exception {
    AdminServer s = server();
    Raw r = new Raw(s);
    StringBuilder flood = new StringBuilder();
    for (int i = 0; i < 150; i++) {
      flood.append("{\"id\":").append(i).append(",\"command\":\"test.echo\"}\n");
    }
    r.send(flood.toString());
    int ok = 0;
    int limited = 0;
    for (int i = 0; i < 150; i++) {
      AdminResponse a = r.read();
      if (a.kind() == AdminResponse.Kind.RESULT) {
        ok++;
      } else {
        assertEquals(AdminErrorCode.RATE_LIMITED, a.error().code());
        limited++;
      }
    }
    assertTrue(ok >= 40, "served " + ok);
    assertTrue(limited > 0, "limited " + limited);
    assertEquals(JSON.objectNode(), client(s).call("test.echo", JSON.objectNode(), WAIT));
  }

  @Test
  void requestFlood_refusedTooOftenInARow_everyAnswerReadThenClosed() throws Exception {
    Files.createDirectories(tmp.resolve("run"));
    AdminServer.Settings d = AdminServer.Settings.defaults();
    AdminServer s = server(new AdminServer.Settings(8, 0.001, 1, d.idleTimeout(), d.allowedUid()));
    Raw r = new Raw(s);
    StringBuilder flood = new StringBuilder();
    for (int i = 0; i < 400; i++) {
      flood.append("{\"id\":").append(i).append(",\"command\":\"test.echo\"}\n");
    }
    r.send(flood.toString());
    assertEquals(AdminResponse.Kind.RESULT, r.read().kind());
    for (int i = 0; i <= AdminConnection.MAX_REFUSED_IN_A_ROW; i++) {
      assertEquals(AdminErrorCode.RATE_LIMITED, r.read().error().code());
    }
    assertNull(r.read(), "closed after the last refusal");
  }

  @Test
  void connections_overTheBound_busy_andASlotFreesWhenOneEnds() throws Exception {
    Files.createDirectories(tmp.resolve("run"));
    AdminServer s = server(AdminServer.Settings.defaults());
    List<Raw> held = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      Raw r = new Raw(s);
      r.send("{\"id\":1,\"command\":\"test.hold\"}\n");
      held.add(r);
    }
    Raw ninth = new Raw(s);
    AdminResponse busy = ninth.read();
    assertEquals(AdminErrorCode.BUSY, busy.error().code());
    assertNull(ninth.read());
    release.countDown(); // the held requests end; their connections stay open ...
    held.get(0).close(); // ... until a client leaves
    Poll.until(
        () -> {
          try (AdminClient c = AdminClient.connect(s.socket())) {
            return c.call("test.echo", JSON.objectNode(), WAIT).isObject();
          } catch (AdminException | IOException e) {
            return false;
          }
        },
        WAIT,
        "a slot frees when a connection ends");
  }

  @Test
  void peerWithAnotherUid_forbiddenClosedAndLogged() throws Exception {
    Files.createDirectories(tmp.resolve("run"));
    AdminServer s = server(AdminServer.Settings.defaults().withAllowedUid(uid -> false));
    AdminClient c = client(s);
    AdminException e =
        assertThrows(AdminException.class, () -> c.call("test.echo", JSON.objectNode(), WAIT));
    assertEquals(AdminErrorCode.FORBIDDEN, e.code());
    assertTrue(e.reason().contains("uid " + AdminServer.ownUid()), e.reason());
  }

  @Test
  void idleConnection_closedAfterTheTimeout() throws Exception {
    Files.createDirectories(tmp.resolve("run"));
    AdminServer.Settings d = AdminServer.Settings.defaults();
    AdminServer s =
        server(
            new AdminServer.Settings(
                d.maxConnections(),
                d.requestsPerSecond(),
                d.burst(),
                Duration.ofMillis(200),
                d.allowedUid()));
    Raw r = new Raw(s);
    assertNull(r.read(), "closed without an answer");
  }

  @Test
  void stream_eventsThenTheClientLeaves_commandSeesTheCancel() throws Exception {
    AdminServer s = server();
    Raw r = new Raw(s);
    r.send("{\"id\":9,\"command\":\"test.follow\",\"args\":{\"count\":2}}\n");
    for (int i = 0; i < 2; i++) {
      AdminResponse e = r.read();
      assertEquals(AdminResponse.Kind.EVENT, e.kind());
      assertEquals(9, e.id());
      assertEquals(i, e.body().get("i").intValue());
    }
    r.close();
    Poll.until(() -> cancelled.contains("follow"), WAIT, "the stream's command ends");
  }

  @Test
  void close_duringAStream_shuttingDownThenClosed() throws Exception {
    AdminServer s = server();
    Raw r = new Raw(s);
    r.send("{\"id\":2,\"command\":\"test.follow\",\"args\":{\"count\":0}}\n");
    assertTrue(following.await(10, TimeUnit.SECONDS), "the stream runs");
    s.close();
    AdminResponse end = r.read();
    assertEquals(AdminErrorCode.SHUTTING_DOWN, end.error().code());
    assertEquals(2, end.id());
    assertNull(r.read());
    assertFalse(Files.exists(s.socket()), "the socket file is removed");
  }
}
