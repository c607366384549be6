package org.blvm.tests;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.BindException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.blvm.demo.SimulatedChain;
import org.blvm.loader.ModuleManager;
import org.blvm.sandbox.SandboxOptions;
import org.blvm.testsupport.LogCapture;
import org.blvm.testsupport.Poll;
import org.blvm.testsupport.ReservedPort;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.newsclub.net.unix.AFUNIXServerSocket;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;

/**
 * The brokered network with real sandboxes: native modules (src/test/c/blvm-try.c, mode {@code
 * net:…}) ask the loader for sockets over the protocol, receive them with {@code recvmsg}
 * (SCM_RIGHTS) inside their sandbox and use them; what they must not reach stays unreachable with
 * and without grants (their own IP sockets, the host's abstract Unix sockets, another port).
 */
class SandboxNetworkIT {
  static final int EAFNOSUPPORT = 97;
  static final int EPERM = 1;

  /** What the test module needs besides the network: it subscribes to NewBlock, serves methods. */
  static final String JVM_CAPS =
      "\"subscribe_events\", \"read_blockchain\", \"register_module_api\"";

  @TempDir Path tmp;

  /** Installs the helper as a native module whose mode is {@code mode}, declaring {@code caps}. */
  private static void installNet(Path modules, String name, String mode, String caps)
      throws IOException {
    Path dir = Files.createDirectories(modules.resolve(name));
    Path entry = dir.resolve("mod-net");
    Files.copy(SandboxFixture.helper(), entry, StandardCopyOption.REPLACE_EXISTING);
    Files.setPosixFilePermissions(entry, PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.write(
        entry,
        ("\nBLVMMODE=" + mode + "\n").getBytes(StandardCharsets.US_ASCII),
        StandardOpenOption.APPEND);
    Files.writeString(
        dir.resolve("module.toml"),
        "name = \""
            + name
            + "\"\nversion = \"1.0.0\"\nruntime = \"native\"\nentry = \"mod-net\"\n"
            + "capabilities = ["
            + caps
            + "]\n");
    ModuleFixture.sign(dir);
  }

  private ModuleManager manager(SandboxOptions o, String policy) {
    return SandboxFixture.manager(tmp, o, new SimulatedChain())
        .admission(ModuleFixture.admission(tmp.resolve("state"), policy))
        .build();
  }

  private String log(String id) {
    Path p = tmp.resolve("run/" + id + ".out.log");
    try {
      return Files.exists(p) ? Files.readString(p) : "";
    } catch (IOException e) {
      return "";
    }
  }

  /** The module's log once it printed "net done" (within 30 s). */
  private String done(String id) throws Exception {
    Poll.until(() -> log(id).contains("net done"), Duration.ofSeconds(30), id + " done");
    return log(id);
  }

  /** A JDK HTTP server on loopback answering every GET with {@code body}. */
  static HttpServer http(String body) throws IOException {
    HttpServer h = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 8);
    h.createContext(
        "/",
        x -> {
          byte[] b = body.getBytes(StandardCharsets.US_ASCII);
          x.sendResponseHeaders(200, b.length);
          try (var out = x.getResponseBody()) {
            out.write(b);
          }
        });
    h.start();
    return h;
  }

  @Test
  void connect_literalRuleReachesTheHttpServer_namesToLoopbackAndMissingRulesRefused_abstract()
      throws Exception {
    SandboxOptions o = SandboxFixture.requireSandbox();
    SandboxFixture.letSandboxEnter(tmp);
    Path modules = Files.createDirectories(tmp.resolve("modules"));
    // short: the module's mode (with this name) travels in a 64-byte trailer
    String abstractName = "blvm-net-" + (System.nanoTime() % 1_000_000_000L);
    HttpServer h = http("hello over the broker");
    try (AFUNIXServerSocket hostAbstract =
        AFUNIXServerSocket.bindOn(AFUNIXSocketAddress.inAbstractNamespace(abstractName))) {
      // the control: a process of the host reaches the abstract socket
      try (AFUNIXSocket s =
          AFUNIXSocket.connectTo(AFUNIXSocketAddress.inAbstractNamespace(abstractName))) {
        hostAbstract.accept().close();
      }
      int port = h.getAddress().getPort();
      String tail = ":" + port + ":" + abstractName;
      installNet(modules, "net-literal", "net:c:127.0.0.1" + tail, "\"network_connect\"");
      installNet(modules, "net-strict", "net:c:127.0.0.1" + tail, "\"network_connect\"");
      installNet(modules, "net-localhost", "net:c:localhost" + tail, "\"network_connect\"");
      installNet(modules, "net-other", "net:c:127.0.0.1" + tail, "\"network_connect\"");
      installNet(modules, "net-none", "net:c:127.0.0.1" + tail, "");
      ModuleFixture.install(
          modules,
          "net-jvm",
          JVM_CAPS + ", \"network_connect\"",
          "net_get = \"127.0.0.1:" + port + "\"");
      ModuleFixture.install(
          modules,
          "net-jvm-denied",
          JVM_CAPS + ", \"network_connect\"",
          "net_get = \"127.0.0.1:" + port + "\"");
      String policy =
          "[defaults]\ncapabilities = [\"network_connect\", "
              + JVM_CAPS
              + "]\n[modules.net-literal.network]\nconnect = [\"127.0.0.1:"
              + port
              + "\"]\n[modules.net-jvm.network]\nconnect = [\"127.0.0.1:"
              + port
              + "\"]\n[modules.net-strict]\nsandbox_profile = \"strict\"\n"
              + "[modules.net-strict.network]\nconnect = [\"127.0.0.1:"
              + port
              + "\"]\n[modules.net-localhost.network]\nconnect = [\"localhost:"
              + port
              + "\"]\n[modules.net-other.network]\nconnect = [\"127.0.0.1:"
              + (port == 1 ? 2 : port - 1)
              + "\"]\n";
      try (ModuleManager m = manager(o, policy)) {
        m.start();

        // under both profiles: the received socket is usable, only creating one is denied
        for (String id : new String[] {"net-literal", "net-strict"}) {
          String literal = done(id);
          assertTrue(literal.contains("net answer result"), literal);
          assertTrue(literal.contains("net fd yes"), literal);
          assertTrue(literal.contains("net send ok"), literal);
          assertTrue(literal.contains("HTTP/1.1 200"), literal);
          assertTrue(literal.contains("hello over the broker"), literal);
        }

        // a JVM module with the SDK: api().connect hands it a java.net.Socket; a socket of its
        // own cannot be made
        Poll.until(
            () -> log("net-jvm").contains("net_get own_socket"),
            Duration.ofSeconds(60),
            "net-jvm done");
        String jvm = log("net-jvm");
        assertTrue(jvm.contains("net_get answer HTTP/1.1 200"), jvm);
        assertTrue(jvm.contains("hello over the broker"), jvm);
        assertFalse(jvm.contains("net_get own_socket connected"), jvm);
        assertTrue(jvm.contains("net_get ca_certificates true"), jvm); // bound with the grant
        // without a rule for the destination: NOT_CAPABLE naming the entry to add
        Poll.until(
            () -> log("net-jvm-denied").contains("net_get own_socket"),
            Duration.ofSeconds(60),
            "net-jvm-denied done");
        String refused = log("net-jvm-denied");
        assertTrue(refused.contains("net_get error NOT_CAPABLE"), refused);
        assertTrue(refused.contains("[modules.net-jvm-denied.network]"), refused);
        assertFalse(refused.contains("net_get answer"), refused);
        assertFalse(refused.contains("net_get own_socket connected"), refused);

        // the real system resolver: localhost is loopback, which only a literal rule reaches
        String local = done("net-localhost");
        assertTrue(local.contains("net answer error"), local);
        assertTrue(local.contains("NOT_CAPABLE") && local.contains("loopback"), local);
        assertTrue(local.contains("\"127.0.0.1:" + port + "\""), local);
        assertTrue(local.contains("net fd no"), local);

        String other = done("net-other");
        assertTrue(other.contains("NOT_CAPABLE"), other);
        assertTrue(
            other.contains("add \"127.0.0.1:" + port + "\" to [modules.net-other.network] connect"),
            other);
        assertTrue(other.contains("net fd no"), other);

        String none = done("net-none");
        assertTrue(none.contains("NOT_CAPABLE") && none.contains("network_connect"), none);
        assertTrue(none.contains("net fd no"), none);

        for (String id :
            new String[] {"net-literal", "net-strict", "net-localhost", "net-other", "net-none"}) {
          String out = log(id);
          // no IP socket of its own, granted or not, and no way to the host's abstract socket
          // default: the family rule (EAFNOSUPPORT); strict: not in its allow-list (EPERM)
          int denied = id.equals("net-strict") ? EPERM : EAFNOSUPPORT;
          assertTrue(out.contains("net socket_inet " + denied), id + ": " + out);
          assertTrue(out.contains("net socket_inet6 " + denied), id + ": " + out);
          assertTrue(out.contains("net abstract "), id + ": " + out);
          assertFalse(out.contains("net abstract ok"), id + ": " + out);
        }
      }
    } finally {
      h.stop(0);
    }
  }

  @Test
  void listen_outsideClientReachesTheModule_noOtherBind_closedWhenTheModuleStops()
      throws Exception {
    SandboxOptions o = SandboxFixture.requireSandbox();
    SandboxFixture.letSandboxEnter(tmp);
    Path modules = Files.createDirectories(tmp.resolve("modules"));
    // both ports stay reserved until the end (the loader binds them all the same, see
    // ReservedPort): no other process can take one between its choice and the loader's bind
    try (ReservedPort listenPort = ReservedPort.loopback();
        ReservedPort jvmListenPort = ReservedPort.loopback()) {
      listenAndStop(o, modules, listenPort.port(), jvmListenPort.port());
    }
  }

  private void listenAndStop(SandboxOptions o, Path modules, int port, int jvmPort)
      throws Exception {
    // the reservation holds the port but does not listen: a plain bind is refused, a connection too
    try (Socket other = new Socket()) {
      assertThrows(
          BindException.class,
          () -> other.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port)));
    }
    assertThrows(
        ConnectException.class,
        () -> new Socket(InetAddress.getLoopbackAddress(), port).close(),
        "nothing listens on the reserved port before the loader binds it");
    installNet(modules, "net-listen", "net:l:127.0.0.1:" + port, "\"network_listen\"");
    ModuleFixture.install(
        modules,
        "net-jvm-listen",
        JVM_CAPS + ", \"network_listen\"",
        "net_listen = \"127.0.0.1:" + jvmPort + "\"");
    String policy =
        "[defaults]\ncapabilities = [\"network_listen\", "
            + JVM_CAPS
            + "]\n[modules.net-listen]\nsandbox_profile = \"strict\"\n"
            + "[modules.net-listen.network]\nlisten = [\"127.0.0.1:"
            + port
            + "\"]\n[modules.net-jvm-listen.network]\nlisten = [\"127.0.0.1:"
            + jvmPort
            + "\"]\n";
    try (ModuleManager m = manager(o, policy)) {
      m.start();
      // the loader bound the port before the module ran: an outside client is queued at once and
      // greeted once the module accepts on the socket it was handed
      String greeting;
      try (Socket c = new Socket(InetAddress.getLoopbackAddress(), port)) {
        c.setSoTimeout(30_000);
        InputStream in = c.getInputStream();
        greeting = new String(in.readAllBytes(), StandardCharsets.US_ASCII);
      }
      assertTrue(greeting.contains("hello from the module"), greeting);
      // the SDK's api().listen: a ServerSocketChannel the JVM module accepts on
      try (Socket c = new Socket(InetAddress.getLoopbackAddress(), jvmPort)) {
        c.setSoTimeout(60_000);
        greeting = new String(c.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
      }
      assertTrue(greeting.contains("hello from the jvm module"), greeting);
      String out = done("net-listen");
      assertTrue(out.contains("net answer result") && out.contains("net fd yes"), out);
      assertTrue(out.contains("net accept ok"), out);
      // the received socket cannot be moved to another port, nor can the module make its own
      // (strict: bind and inet sockets are outside its allow-list)
      assertTrue(out.contains("net rebind " + EPERM), out);
      assertTrue(out.contains("net socket_inet " + EPERM), out);
    }
    // the module stopped: the loader closed its listening socket, and the module's copy died with
    // it
    assertThrows(
        ConnectException.class,
        () -> new Socket(InetAddress.getLoopbackAddress(), port).close(),
        "the port is closed once the module stopped");
  }

  @Test
  void hostNetwork_loggedAtLaunch_exposesOwnIpSocketsAndTheHostsAbstractSockets() throws Exception {
    SandboxOptions o = SandboxFixture.requireSandbox();
    SandboxFixture.letSandboxEnter(tmp);
    Path modules = Files.createDirectories(tmp.resolve("modules"));
    String abstractName = "blvm-host-" + (System.nanoTime() % 1_000_000_000L);
    List<String> lines = Collections.synchronizedList(new ArrayList<>());
    LogCapture capture = LogCapture.install("blvm.loader", lines);
    try (AFUNIXServerSocket hostAbstract =
        AFUNIXServerSocket.bindOn(AFUNIXSocketAddress.inAbstractNamespace(abstractName))) {
      installNet(modules, "net-host", "net:c:127.0.0.1:1:" + abstractName, "\"network_connect\"");
      String policy =
          "[defaults]\ncapabilities = [\"network_connect\"]\n"
              + "[modules.net-host]\nnetwork = \"host\"\n";
      try (ModuleManager m = manager(o, policy)) {
        m.start();
        String out = done("net-host");
        // what docs/sandbox.md says the escape hatch exposes, and that no rule applies to it
        assertTrue(out.contains("net socket_inet ok"), out);
        assertTrue(out.contains("net abstract ok"), out);
        assertTrue(out.contains("NOT_CAPABLE") && out.contains("shares the host"), out);
      }
    } finally {
      capture.uninstall();
    }
    assertTrue(
        lines.stream()
            .anyMatch(l -> l.contains("SHARES THE HOST'S NETWORK") && l.contains("net-host")),
        "the launch is logged loudly: " + lines);
  }
}
