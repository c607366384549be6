package org.blvm.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.math.BigInteger;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import org.blvm.node.sv2.Sv2Client;
import org.blvm.testsupport.Poll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * blvm-stratum-v2 in a real {@code blvm-node} process, sandboxed, under a policy granting exactly
 * its manifest's capabilities and one listening address: a miner written from the Stratum V2
 * specification ({@link Sv2Client}) connects over real TCP, sets up the connection, opens a
 * standard channel, gets a job and a prev hash, has shares accepted and one with a bad nonce
 * refused ({@code difficulty-too-low}), and mines a block at the simulated chain's easy target that
 * becomes the chain's tip (the pool's next prev hash is that block). A connection sending a
 * malformed frame is closed while the module keeps serving. A second copy whose policy drops {@code
 * read_chain_state} is refused its template subscription with NOT_CAPABLE.
 */
class StratumNodeIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  static final String CAPS =
      "\"read_chain_state\", \"read_blockchain\", \"submit_block\", \"subscribe_events\","
          + " \"publish_events\", \"network_listen\"";

  @TempDir Path tmp;

  @Test
  void miner_sharesAcceptedBadNonceRefusedBlockFoundBecomesTheTip() throws Exception {
    Path home = ModuleFixture.nodeHome(tmp, "home");
    Path modules = home.resolve("modules");
    ModuleFixture.installBuilt(
        "blvm.stratumModule", "blvm-stratum-v2.jar", modules, "blvm-stratum-v2");
    ModuleFixture.installBuilt(
        "blvm.stratumModule", "blvm-stratum-v2.jar", modules, "stratum-narrow");
    ModuleFixture.installBuilt(
        "blvm.stratumModule", "blvm-stratum-v2.jar", modules, "stratum-unlisted");
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Files.writeString(
        home.resolve("policy.toml"),
        ModuleFixture.policyText(
            "[defaults]\ncapabilities = ["
                + CAPS
                + "]\n[modules.blvm-stratum-v2.network]\nlisten = [\"0.0.0.0:"
                + port
                + "\"]\n[modules.stratum-narrow]\n"
                + "capabilities = [\"read_blockchain\", \"submit_block\", \"subscribe_events\","
                + " \"publish_events\", \"network_listen\"]\n"
                + "on_disallowed_capability = \"drop\"\n"
                + "[modules.stratum-narrow.restart]\nmode = \"never\"\n"
                + "[modules.stratum-unlisted.restart]\nmode = \"never\"\n"));
    // no blocks of the simulated network: every new tip is the miner's; a target of one hash in
    // 256, and shares of one in 16
    Files.writeString(
        home.resolve("node.toml"),
        String.join(
            "\n",
            "[simulation]",
            "seed = 5",
            "block_interval_seconds = 0",
            "target_bits = 0x2000ffff",
            "transactions_per_minute = 60",
            ""));
    // a copy whose listen address is in no policy rule
    Files.writeString(
        modules.resolve("stratum-unlisted.toml"), "listen = \"127.0.0.1:" + (port ^ 1) + "\"\n");
    Files.writeString(
        modules.resolve("blvm-stratum-v2.toml"),
        "listen = \"0.0.0.0:"
            + port
            + "\"\nshare_zero_bits = 4\nmax_connections = 2\nmax_channels = 1\n");

    try (NodeProcess node = NodeProcess.start(home, tmp.resolve("node.log"))) {
      try {
        mineThroughTheNode(node, home, port);
      } catch (Exception | AssertionError e) {
        throw new AssertionError(e + "\n--- node output\n" + String.join("\n", node.lines()), e);
      }
    }
  }

  /** The miner's session, the malformed connections and the narrow copy, on a running node. */
  private static void mineThroughTheNode(NodeProcess node, Path home, int port) throws Exception {
    node.awaitLine(l -> l.startsWith("blvm-node: running"), "the node runs");
    node.awaitLine(
        l -> l.contains("blvm-stratum-v2: serving Stratum V2 on 0.0.0.0:" + port),
        "blvm-stratum-v2 serves on the address of its config file");
    node.awaitLine(l -> l.contains("blvm-stratum-v2: job "), "a first job");

    // a connection whose first frame announces 16 MiB: closed, nothing else
    try (Sv2Client bad = new Sv2Client("127.0.0.1", port)) {
      bad.sendRaw(new byte[] {0, 0, 0x00, (byte) 0xff, (byte) 0xff, (byte) 0xff});
      assertTrue(bad.closedByServer(), "the module closes a connection with a malformed frame");
    }
    node.awaitLine(
        l -> l.contains("blvm-stratum-v2: miner 1 sent a malformed frame, connection closed"),
        "the malformed frame is logged");

    // a device asking for another sub-protocol: SetupConnection.Error, then closed
    try (Sv2Client other = new Sv2Client("127.0.0.1", port)) {
      Sv2Client.Frame err = other.setup(2, 0);
      assertEquals(0x02, err.msgType(), "SetupConnection.Error");
      err.payload().getInt();
      byte[] code = new byte[err.payload().get() & 0xff];
      err.payload().get(code);
      assertEquals("unsupported-protocol", new String(code, StandardCharsets.US_ASCII));
      assertTrue(other.closedByServer(), "closed after SetupConnection.Error");
    }

    try (Sv2Client miner = new Sv2Client("127.0.0.1", port)) {
      Sv2Client.Frame ok = miner.setup(0, 1);
      assertEquals(0x01, ok.msgType(), "SetupConnection.Success");
      assertEquals(2, ok.payload().getShort(), "used_version");

      BigInteger max = BigInteger.ONE.shiftLeft(256).subtract(BigInteger.ONE);
      assertEquals(0x11, miner.open(7, "tests.worker1", max).msgType(), "channel opened");
      assertEquals(BigInteger.ONE.shiftLeft(252).subtract(BigInteger.ONE), miner.target());
      miner.awaitWork();
      BigInteger network = Sv2Client.compactTarget(miner.work().nbits());
      assertTrue(network.compareTo(miner.target()) < 0, "shares are easier than blocks");

      // a nonce whose hash is above the channel target: refused with the spec's error code
      long seq = 1;
      long bad = miner.findNonce(0, true, miner.target());
      miner.submit(seq, bad);
      assertEquals("difficulty-too-low", miner.awaitShareResult(seq));

      // shares that are not blocks: accepted
      long nonce = 0;
      int accepted = 0;
      while (accepted < 3) {
        nonce = miner.findNonce(nonce, false, miner.target());
        boolean block =
            Sv2Client.number(Sv2Client.sha256d(miner.work().header(nonce))).compareTo(network) <= 0;
        if (!block) {
          miner.submit(++seq, nonce);
          assertNull(miner.awaitShareResult(seq), "share " + seq + " accepted");
          accepted++;
        }
        nonce++;
      }

      // a share meeting the network target: a block, which becomes the tip
      long win = miner.findNonce(0, false, network);
      byte[] header = miner.work().header(win);
      String hash = HexFormat.of().formatHex(reverse(Sv2Client.sha256d(header)));
      int seen = miner.prevHashesSeen();
      miner.submit(++seq, win);
      assertNull(miner.awaitShareResult(seq), "the block share is accepted");
      miner.awaitPrevHash(seen);
      assertEquals(
          hash,
          HexFormat.of().formatHex(reverse(miner.work().prevHash())),
          "the pool's next prev hash is the block the miner found");
      node.awaitLine(
          l -> l.contains("blvm-stratum-v2: block found ") && l.contains("tip=" + hash),
          "the module saw its block become the chain tip (get_chain_tip)");

      // max_channels = 1: a second channel is refused
      Sv2Client.Frame second = miner.open(8, "tests.worker2", max);
      assertEquals(0x12, second.msgType(), "OpenMiningChannel.Error");
      assertEquals(8, second.payload().getInt());
      byte[] code = new byte[second.payload().get() & 0xff];
      second.payload().get(code);
      assertEquals("max-channels-reached", new String(code, StandardCharsets.US_ASCII));

      // max_connections = 2: a third connection is closed at once
      try (Sv2Client idle = new Sv2Client("127.0.0.1", port)) {
        node.awaitLine(
            l -> l.contains("blvm-stratum-v2: miner 4 connected"), "a second connection");
        try (Sv2Client third = new Sv2Client("127.0.0.1", port)) {
          assertTrue(third.closedByServer(), "a connection beyond max_connections is closed");
        }
        node.awaitLine(
            l -> l.contains("blvm-stratum-v2: miner 5 refused: max_connections = 2"),
            "the refusal is logged");
      }
      node.awaitLine(
          l -> l.contains("blvm-stratum-v2: miner 4 disconnected"), "the idle miner leaves");

      // a miner that sends without reading its answers is disconnected, the pool goes on
      try (Sv2Client flood = new Sv2Client("127.0.0.1", port)) {
        assertEquals(0x01, flood.setup(0, 1).msgType());
        int sent = flood(flood, 99, 2_000_000);
        assertTrue(sent < 2_000_000, "the module closed the connection after " + sent);
      }
      node.awaitLine(
          l -> l.contains("blvm-stratum-v2: miner 6 does not read its messages"),
          "the slow reader is logged");

      // a channel opened before SetupConnection: closed
      try (Sv2Client early = new Sv2Client("127.0.0.1", port)) {
        early.send(0, 0x10, new byte[4 + 1 + 4 + 32]);
        assertTrue(early.closedByServer(), "a first message other than SetupConnection");
      }
      node.awaitLine(
          l ->
              l.contains(
                  "blvm-stratum-v2: miner 7 sent a malformed frame, connection closed: the first"
                      + " message must be SetupConnection, found msg_type 0x10"),
          "the out-of-order message is logged");

      // unsupported flags, an unsupported version: SetupConnection.Error naming them
      try (Sv2Client flags = new Sv2Client("127.0.0.1", port)) {
        Sv2Client.Frame err = flags.setup(0, 0b11);
        assertEquals(0x02, err.msgType());
        assertEquals("unsupported-feature-flags", Sv2Client.errorCode(err));
        assertEquals(0b10, err.payload().getInt(), "the flags not supported");
        assertTrue(flags.closedByServer());
      }
      try (Sv2Client old = new Sv2Client("127.0.0.1", port)) {
        Sv2Client.Frame err = old.setup(0, 3, 4, 0);
        assertEquals("protocol-version-mismatch", Sv2Client.errorCode(err));
        assertTrue(old.closedByServer());
      }

      // an extended channel is refused; a closed standard channel frees its place
      try (Sv2Client other = new Sv2Client("127.0.0.1", port)) {
        assertEquals(0x01, other.setup(0, 0).msgType());
        byte[] extended = new byte[4 + 1 + 4 + 32 + 2];
        extended[0] = 5;
        other.send(0, 0x13, extended);
        Sv2Client.Frame err = other.read();
        assertEquals(0x12, err.msgType());
        assertEquals("unsupported-extended-channel", Sv2Client.errorCode(err));
        Sv2Client.Frame zero = other.open(5, "tests.worker3", BigInteger.ZERO);
        assertEquals(0x12, zero.msgType(), "a max_target of 0 is refused");
        assertEquals("max-target-out-of-range", Sv2Client.errorCode(zero));
        assertEquals(0x11, other.open(6, "tests.worker3", max).msgType());
        byte[] close = new byte[4 + 1];
        java.nio.ByteBuffer.wrap(close)
            .order(java.nio.ByteOrder.LITTLE_ENDIAN)
            .putInt((int) other.channelId());
        other.send(0x8000, 0x18, close);
        assertEquals(0x11, other.open(7, "tests.worker3", max).msgType(), "max_channels = 1");
      }

      // the pool still serves the first miner: one more share
      long more = miner.findNonce(0, false, miner.target());
      miner.submit(++seq, more);
      assertNull(miner.awaitShareResult(seq), "the first miner is still served");

      // the counters are in the data directory's state file
      Path stateFile = find(home.resolve("data"), "stratum-state.json");
      Poll.until(
          () -> {
            try {
              JsonNode st = JSON.readTree(Files.readAllBytes(stateFile));
              return st.get("blocks_found").asLong() >= 1
                  && st.get("recent_blocks").toString().contains(hash);
            } catch (IOException e) {
              return false;
            }
          },
          Duration.ofSeconds(30),
          "stratum-state.json records the block");
    }

    // a new share_zero_bits from the config file and a reload: channels opened after it use it
    Files.writeString(
        home.resolve("modules").resolve("blvm-stratum-v2.toml"),
        "listen = \"0.0.0.0:"
            + port
            + "\"\nshare_zero_bits = 6\nmax_connections = 2\nmax_channels = 1\n");
    NodeProcess.Cli reload = node.loader("config", "reload");
    assertEquals(0, reload.code(), reload.toString());
    BigInteger reloaded = BigInteger.ONE.shiftLeft(250).subtract(BigInteger.ONE);
    Poll.until(
        () -> {
          try (Sv2Client late = new Sv2Client("127.0.0.1", port)) {
            late.setup(0, 1);
            late.open(1, "tests.worker4", BigInteger.ONE.shiftLeft(256).subtract(BigInteger.ONE));
            return late.target().equals(reloaded);
          } catch (IOException e) {
            return false;
          }
        },
        Duration.ofSeconds(30),
        "a channel opened after the reload has the target of share_zero_bits = 6");

    // the copy whose listen address the policy does not list: an ERROR, then exit status 5
    node.awaitLine(
        l ->
            l.contains("stratum-unlisted: cannot listen on 127.0.0.1:")
                && l.contains("NOT_CAPABLE (network_listen)"),
        "stratum-unlisted is refused net_listen and logs it");
    node.awaitLine(
        l -> l.contains("module stratum-unlisted failed: process exited with status 5"),
        "stratum-unlisted exits with status 5");

    // the copy without read_chain_state: its template subscription is refused
    Poll.until(
        () -> {
          try {
            return node.loader("logs", "stratum-narrow").out().contains("NOT_CAPABLE");
          } catch (Exception e) {
            return false;
          }
        },
        Duration.ofSeconds(60),
        "stratum-narrow is refused its BlockTemplateUpdated subscription");
    NodeProcess.Cli narrow = node.loader("logs", "stratum-narrow");
    assertTrue(narrow.out().contains("read_chain_state"), narrow.toString());
    NodeProcess.Cli s = node.loader("modules", "status", "blvm-stratum-v2", "--json");
    assertEquals(
        "STARTED", JSON.readTree(s.out().getBytes(StandardCharsets.UTF_8)).get("state").asText());
  }

  private static Path find(Path root, String name) throws IOException {
    try (java.util.stream.Stream<Path> s = Files.walk(root)) {
      return s.filter(p -> p.getFileName().toString().equals(name))
          .findFirst()
          .orElseThrow(() -> new AssertionError(name + " not under " + root));
    }
  }

  /**
   * Sends up to {@code count} SubmitSharesStandard for channel {@code channel} without reading
   * anything; returns how many were sent before the server closed the connection.
   */
  private static int flood(Sv2Client miner, long channel, int count) {
    ByteBuffer b = Sv2Client.buf(24);
    b.putInt((int) channel);
    int sent = 0;
    try {
      for (; sent < count; sent++) {
        b.putInt(4, sent);
        miner.send(0x8000, 0x1a, b.array());
      }
    } catch (IOException e) {
      return sent;
    }
    return sent;
  }

  private static byte[] reverse(byte[] b) {
    byte[] r = new byte[b.length];
    for (int i = 0; i < b.length; i++) {
      r[i] = b[b.length - 1 - i];
    }
    return r;
  }
}
