package org.blvm.sign;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * blvm-loader's node commands against a scripted node: what they send, how they print the answer,
 * and their exit codes. The real node: tests/NodeControlIT.
 */
class NodeCommandTest {
  @TempDir Path tmp;

  private ServerSocketChannel server;
  private Thread thread;
  private final List<String> requests = new CopyOnWriteArrayList<>();

  @AfterEach
  void close() throws Exception {
    if (server != null) {
      server.close();
      thread.join(5000);
    }
  }

  /** A node at tmp/run/admin.d/admin.sock answering every request with {@code answer}. */
  private void node(String... answer) throws IOException {
    Path sock =
        Files.createDirectories(tmp.resolve("run").resolve("admin.d")).resolve("admin.sock");
    Files.deleteIfExists(sock);
    server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    server.bind(UnixDomainSocketAddress.of(sock));
    thread =
        new Thread(
            () -> {
              try (SocketChannel c = server.accept()) {
                ByteBuffer in = ByteBuffer.allocate(65536);
                while (c.read(in) > 0 && in.get(in.position() - 1) != '\n') {
                  // read one request line
                }
                String line = new String(in.array(), 0, in.position(), UTF_8).trim();
                requests.add(line);
                String id = line.replaceAll(".*\"id\":(\\d+).*", "$1");
                for (String a : answer) {
                  c.write(ByteBuffer.wrap((a.replace("$ID", id) + "\n").getBytes(UTF_8)));
                }
              } catch (IOException e) {
                // the test ended
              }
            });
    thread.start();
  }

  private Run loader(String... args) {
    String[] all = new String[args.length + 2];
    System.arraycopy(args, 0, all, 0, args.length);
    all[args.length] = "--home";
    all[args.length + 1] = tmp.toString();
    return Run.loader(all);
  }

  @Test
  void list_resultPrintedAsATable_exit0() throws Exception {
    node(
        "{\"id\":$ID,\"ok\":true,\"result\":{\"modules\":[{\"name\":\"a\",\"version\":\"1.0.0\","
            + "\"state\":\"STARTED\",\"pid\":7,\"detail\":null}]}}");
    Run r = loader("modules", "list");
    assertEquals(0, r.code(), r.toString());
    assertTrue(r.out().contains("a     STARTED  7    1.0.0"), r.toString());
    assertTrue(requests.get(0).contains("\"command\":\"modules.list\""), requests.toString());
  }

  @Test
  void start_endsFailed_printedWithWhy_exit1() throws Exception {
    node(
        "{\"id\":$ID,\"ok\":true,\"result\":{\"module\":\"a\",\"state\":\"FAILED\","
            + "\"detail\":\"launch failed\",\"pid\":null}}");
    Run r = loader("modules", "start", "a");
    assertEquals(ExitCodes.REFUSED, r.code(), r.toString());
    assertEquals("a: FAILED (launch failed)\n", r.out());
    assertTrue(requests.get(0).contains("\"args\":{\"module\":\"a\"}"), requests.toString());
  }

  @Test
  void errorAnswer_messageOnStderr_exit1_json_errorObjectOnStdout() throws Exception {
    String invalid =
        "{\"id\":$ID,\"ok\":false,\"error\":{\"code\":\"INVALID_POLICY\",\"message\":\"2 problems\","
            + "\"details\":{\"problems\":[\"line 1: bad\",\"line 2: worse\"]}}}";
    node(invalid);
    Run r = loader("policy", "reload");
    assertEquals(ExitCodes.REFUSED, r.code(), r.toString());
    assertTrue(r.err().contains("INVALID_POLICY: 2 problems"), r.toString());
    assertTrue(r.err().contains("  line 2: worse"), r.toString());
    close();
    node(invalid);
    Run j = loader("policy", "reload", "--json");
    assertEquals(ExitCodes.REFUSED, j.code(), j.toString());
    assertTrue(j.out().startsWith("{\"error\":{\"code\":\"INVALID_POLICY\""), j.toString());
  }

  @Test
  void forbidden_exit4() throws Exception {
    node("{\"id\":null,\"ok\":false,\"error\":{\"code\":\"FORBIDDEN\",\"message\":\"uid 1000\"}}");
    Run r = loader("modules", "list");
    assertEquals(ExitCodes.UNREACHABLE, r.code(), r.toString());
    assertTrue(r.err().contains("refused this user"), r.toString());
  }

  @Test
  void noSocket_exit4_sayingWhere() {
    Run r = loader("modules", "list");
    assertEquals(ExitCodes.UNREACHABLE, r.code(), r.toString());
    assertTrue(r.err().contains("no admin socket at " + tmp.resolve("run")), r.toString());
  }

  @Test
  void stream_eventsThenResult_eachLinePrinted() throws Exception {
    node(
        "{\"id\":$ID,\"event\":{\"line\":\"hello\"}}",
        "{\"id\":$ID,\"event\":{\"line\":\"world\"}}",
        "{\"id\":$ID,\"ok\":true,\"result\":{\"lines\":2}}");
    Run r = loader("logs", "a", "-n", "2");
    assertEquals(0, r.code(), r.toString());
    assertEquals("hello\nworld\n", r.out());
    assertTrue(requests.get(0).contains("\"lines\":2,\"follow\":false"), requests.toString());
  }

  @Test
  void badAnswer_exit4() throws Exception {
    node("this is not json");
    Run r = loader("modules", "list");
    assertEquals(ExitCodes.UNREACHABLE, r.code(), r.toString());
    assertTrue(r.err().contains("not valid JSON"), r.toString());
  }
}
