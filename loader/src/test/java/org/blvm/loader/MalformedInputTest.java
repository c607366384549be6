package org.blvm.loader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.blvm.protocol.Codec;
import org.blvm.protocol.ErrorCode;
import org.blvm.protocol.Frames;
import org.blvm.protocol.Message;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Hostile bytes on a module socket: each gets a specific close (or a clean close), the server keeps
 * serving the other module, and no thread or descriptor is left behind.
 */
class MalformedInputTest {
  private static final Codec CODEC = Codec.withDefaults();

  @TempDir Path tmp;
  LoaderFixture fx;

  @BeforeEach
  void setUp() throws Exception {
    fx =
        new LoaderFixture(tmp)
            .module("alpha", "\"read_blockchain\"", "")
            .module("beta", "\"read_blockchain\"", "")
            // the leak test below makes hundreds of bad connections; the limit on them (which
            // fails a module) has its own test, BadConnectionFloodTest
            .start(b -> b.helloTimeout(Duration.ofMillis(500)).maxBadConnectionsPerMinute(10_000));
  }

  @AfterEach
  void tearDown() {
    fx.close();
  }

  /** name, bytes sent before hello, expected text in the close message. */
  static Stream<Arguments> beforeHello() {
    return Stream.of(
        Arguments.of("length above maximum", bytes(0x7f, 0xff, 0xff, 0xff), "FRAME_TOO_LARGE"),
        Arguments.of("length 0xFFFFFFFF", bytes(0xff, 0xff, 0xff, 0xff), "FRAME_TOO_LARGE"),
        Arguments.of("length zero", bytes(0, 0, 0, 0), "EMPTY_FRAME"),
        Arguments.of("garbage CBOR", Frames.frame(bytes(0xff, 0xfe, 0x00)), "MALFORMED_CBOR"),
        Arguments.of(
            "byte string longer than the frame",
            Frames.frame(bytes(0x5a, 0x7f, 0xff, 0xff, 0xff, 1)),
            "MALFORMED_CBOR"),
        Arguments.of(
            "top level is an array",
            Frames.frame(CODEC.writeCbor(CODEC.toTree(List.of(1)))),
            "WRONG_TYPE"),
        Arguments.of(
            "wrong field types",
            frameOf(Map.of("kind", "hello", "versions", "1", "token", 5)),
            "WRONG_TYPE"),
        Arguments.of("unknown kind", frameOf(Map.of("kind", "teleport")), "UNKNOWN_KIND"),
        Arguments.of(
            "unknown key",
            frameOf(Map.of("kind", "hello", "versions", List.of(1), "token", "t", "admin", true)),
            "BAD_FIELD"),
        Arguments.of(
            "request before hello",
            CODEC.encodeFrame(new Message.Request(1, "get_chain_tip", null)),
            "expected hello"),
        Arguments.of(
            "event from a module",
            CODEC.encodeFrame(new Message.Event(1, "NewBlock", null, CODEC.toTree(Map.of()))),
            "expected hello"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("beforeHello")
  void malformedBeforeHello_closedWithReason_otherModuleUnaffected(
      String name, byte[] bytes, String expected) throws Exception {
    try (RawClient c = fx.connect("alpha")) {
      c.sendRaw(bytes);
      Message.Close close = c.expect(Message.Close.class);
      assertEquals(ErrorCode.PROTOCOL_ERROR, close.code(), name);
      assertTrue(close.message().contains(expected), name + ": " + close.message());
      assertTrue(c.closedByNode(), name);
    }
    assertEquals(1, fx.manager.protocolErrors("alpha"));
    assertOtherModuleServes();
    // An unauthenticated connection cannot hurt the module: it can still connect and say hello.
    try (RawClient c = fx.handshake("alpha")) {
      assertTrue(fx.manager.awaitState("alpha", ModuleState.INITIALIZED, Duration.ofSeconds(5)));
    }
  }

  @Test
  void truncatedFrame_thenPeerCloses_cleanEndAndModuleCanConnect() throws Exception {
    try (RawClient c = fx.connect("alpha")) {
      c.sendRaw(bytes(0, 0, 0, 10, 1, 2));
    }
    awaitNoConnectionThreads("alpha");
    assertOtherModuleServes();
    try (RawClient c = fx.handshake("alpha")) {
      assertTrue(fx.manager.awaitState("alpha", ModuleState.INITIALIZED, Duration.ofSeconds(5)));
    }
  }

  @Test
  void truncatedHeader_closedWithTruncatedFrame() throws Exception {
    try (RawClient c = fx.connect("alpha")) {
      c.sendRaw(bytes(0, 0));
      c.shutdownOutput();
      Message.Close close = c.expect(Message.Close.class);
      assertTrue(close.message().contains("TRUNCATED_FRAME"), close.message());
    }
  }

  @Test
  void connectAndCloseAtOnce_noErrorAndModuleCanConnect() throws Exception {
    fx.connect("alpha").close();
    awaitNoConnectionThreads("alpha");
    assertEquals(0, fx.manager.protocolErrors("alpha"));
    try (RawClient c = fx.handshake("alpha")) {
      assertTrue(fx.manager.awaitState("alpha", ModuleState.INITIALIZED, Duration.ofSeconds(5)));
    }
  }

  @Test
  void silentPeer_closedAfterHelloTimeout() throws Exception {
    try (RawClient c = fx.connect("alpha")) {
      Message.Close close = c.expect(Message.Close.class);
      assertEquals(ErrorCode.PROTOCOL_ERROR, close.code());
      assertTrue(close.message().contains("no hello within 500 ms"), close.message());
    }
  }

  @Test
  void secondHello_protocolErrorAndModuleFailedClosed() throws Exception {
    try (RawClient c = fx.handshake("alpha")) {
      c.send(new Message.Hello(List.of(1), fx.launcher.token("alpha")));
      Message.Close close = c.expect(Message.Close.class);
      assertEquals(ErrorCode.PROTOCOL_ERROR, close.code());
      assertTrue(close.message().contains("second hello"), close.message());
    }
    assertTrue(fx.manager.awaitState("alpha", ModuleState.FAILED, Duration.ofSeconds(5)));
    assertTrue(fx.launcher.awaitSignal("alpha", "KILL"));
    assertOtherModuleServes();
  }

  @Test
  void garbageAfterHello_protocolErrorAndModuleFailedClosed() throws Exception {
    try (RawClient c = fx.handshake("alpha")) {
      c.sendRaw(Frames.frame(bytes(0xa1, 0x01)));
      assertEquals(ErrorCode.PROTOCOL_ERROR, c.expect(Message.Close.class).code());
    }
    assertTrue(fx.manager.awaitState("alpha", ModuleState.FAILED, Duration.ofSeconds(5)));
    assertOtherModuleServes();
  }

  @Test
  void manyHostileConnections_noThreadOrDescriptorLeft() throws Exception {
    hostileRound(); // warm up class loading
    awaitNoConnectionThreads("alpha");
    long fds = openFds();
    for (int i = 0; i < 20; i++) {
      hostileRound();
    }
    awaitNoConnectionThreads("alpha");
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (openFds() > fds + 2 && System.nanoTime() < deadline) {
      Thread.onSpinWait();
    }
    assertTrue(openFds() <= fds + 2, "descriptors before " + fds + ", after " + openFds());
    assertOtherModuleServes();
  }

  private void hostileRound() throws Exception {
    for (Arguments a : beforeHello().toList()) {
      try (RawClient c = fx.connect("alpha")) {
        c.sendRaw((byte[]) a.get()[1]);
        c.closedByNode();
      }
    }
    fx.connect("alpha").close();
  }

  private void assertOtherModuleServes() throws Exception {
    RawClient b = betaClient;
    if (b == null) {
      b = betaClient = fx.handshake("beta");
    }
    b.send(new Message.Request(++betaIds, "get_chain_tip", null));
    Message.Response r = b.expect(Message.Response.class);
    assertNull(r.error());
    assertEquals(betaIds, r.id());
  }

  private RawClient betaClient;
  private long betaIds;

  private static void awaitNoConnectionThreads(String module) {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (connectionThreads(module) > 0) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError(connectionThreads(module) + " connection threads still alive");
      }
      Thread.onSpinWait();
    }
  }

  private static long connectionThreads(String module) {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(
            t ->
                t.getName().equals("blvm-" + module + "-reader")
                    || t.getName().equals("blvm-" + module + "-writer"))
        .count();
  }

  private static long openFds() throws IOException {
    try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
      return s.count();
    }
  }

  private static byte[] frameOf(Object value) {
    return Frames.frame(CODEC.writeCbor(CODEC.toTree(value)));
  }

  private static byte[] bytes(int... values) {
    byte[] b = new byte[values.length];
    for (int i = 0; i < values.length; i++) {
      b[i] = (byte) values[i];
    }
    return b;
  }
}
