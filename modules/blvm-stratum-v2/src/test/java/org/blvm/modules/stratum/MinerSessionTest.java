package org.blvm.modules.stratum;

import static java.util.stream.Collectors.toSet;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Miners' connections to a {@link Pool} over real loopback sockets, the node faked behind the SDK's
 * interfaces ({@link FakePoolNode}): what a miner sees for each message it may or may not send
 * (docs/modules.md, "A miner's connection" and "Limits and failures").
 */
class MinerSessionTest extends PoolTestCase {
  private static final Bytes32 ZERO = Bytes32.of(new byte[32]);

  /** The next message {@code m} gets refuses its share {@code seq} on {@code channel}. */
  private static void assertInvalidChannelId(TestMiner m, long channel, int seq) throws Exception {
    assertEquals(new Sv2Message.SubmitSharesError(channel, seq, "invalid-channel-id"), m.receive());
  }

  @Test
  void openChannel_beforeAnyTemplate_noTemplateYet_connectionStaysUsable() throws Exception {
    TestMiner m = node.connect();
    m.setUp();

    m.send(new Sv2Message.OpenStandardMiningChannel(7, "early", 1.0f, TestMiner.ANY_TARGET));
    assertEquals(new Sv2Message.OpenMiningChannelError(7, "no-template-yet"), m.receive());

    // the connection stays open: once a template exists the same miner opens its channel
    node.pool().newTemplate("test");
    m.open(8, "later", TestMiner.ANY_TARGET);
    assertTrue(node.logs.stream().noneMatch(l -> l.contains("closed")), node.logs.toString());
  }

  @Test
  void share_onAChannelNoConnectionHas_invalidChannelId_connectionGoesOn() throws Exception {
    TestMiner m = minerOnANewTemplate("a");
    TestMiner.Work w = m.work();
    long unknown = w.channelId() + 1000;

    m.send(new Sv2Message.SubmitSharesStandard(unknown, 4, w.jobId(), 0, w.ntime(), w.version()));

    assertInvalidChannelId(m, unknown, 4);
    m.shareAccepted(5);
  }

  @Test
  void share_onAnotherConnectionsChannel_invalidChannelId() throws Exception {
    TestMiner a = minerOnANewTemplate("a");
    TestMiner b = node.miner("b");
    TestMiner.Work theirs = b.work();

    // a share that is valid on b's channel, sent by a
    a.send(TestMiner.share(theirs, 1, b.nonce(theirs, theirs.target(), true)));

    assertInvalidChannelId(a, theirs.channelId(), 1);
  }

  @Test
  void closeChannel_thenAShareOnIt_invalidChannelId_andNoJobForItAnyMore() throws Exception {
    TestMiner m = minerOnANewTemplate("a");
    TestMiner.Work closed = m.work();
    long nonce = m.nonce(closed, closed.target(), true);

    m.send(new Sv2Message.CloseChannel(closed.channelId(), "done"));
    TestMiner.Work open = m.open(2, "b", TestMiner.ANY_TARGET);
    node.pool().newTemplate("test"); // every job message is queued once it returns
    m.send(TestMiner.share(closed, 1, nonce));

    Sv2Message.NewMiningJob job = m.receive(Sv2Message.NewMiningJob.class);
    assertEquals(open.channelId(), job.channelId(), "only the open channel gets the new job");
    assertInvalidChannelId(m, closed.channelId(), 1);
  }

  @Test
  void closeChannel_namingNoChannel_ignored_connectionGoesOn() throws Exception {
    TestMiner m = minerOnANewTemplate("a");
    TestMiner.Work w = m.work();

    m.send(new Sv2Message.CloseChannel(w.channelId() + 1000, "not mine"));

    m.shareAccepted(3);
  }

  @Test
  void secondSetupConnection_closesThatConnection_thePoolAndOtherMinersGoOn() throws Exception {
    TestMiner a = minerOnANewTemplate("a");
    TestMiner b = node.miner("b");

    a.send(new Sv2Message.SetupConnection(0, 2, 2, 0, "h", 3333, "v", "hw", "fw", "d"));

    a.assertClosedByPool();
    node.awaitLog("WARN miner 1 sent a malformed frame, connection closed: SetupConnection sent");
    assertOthersGoOn(b);
  }

  static Stream<Sv2Message> serverOnlyMessages() {
    return Stream.of(
        new Sv2Message.SetupConnectionSuccess(2, 0),
        new Sv2Message.SetupConnectionError(0, "x"),
        new Sv2Message.OpenStandardMiningChannelSuccess(1, 1, BigInteger.ONE, "00", 0),
        new Sv2Message.OpenMiningChannelError(1, "x"),
        new Sv2Message.NewMiningJob(1, 1, OptionalLong.of(1), 2, ZERO),
        new Sv2Message.SetNewPrevHash(1, 1, ZERO, 1, 0x1d00ffffL),
        new Sv2Message.SubmitSharesSuccess(1, 1, 1, 1),
        new Sv2Message.SubmitSharesError(1, 1, "x"));
  }

  @ParameterizedTest
  @MethodSource("serverOnlyMessages")
  void serverOnlyMessage_fromAMiner_closesThatConnection_othersGoOn(Sv2Message m) throws Exception {
    TestMiner a = minerOnANewTemplate("a");
    TestMiner b = node.miner("b");

    a.send(m);

    a.assertClosedByPool();
    String log =
        node.awaitLog("miner 1 sent a malformed frame, connection closed: a miner may not");
    assertTrue(log.startsWith("WARN "), log);
    assertTrue(log.contains(m.getClass().getSimpleName()), log);
    assertOthersGoOn(b);
  }

  static Stream<Frame> ignoredFrames() {
    byte[] junk = {1, 2, 3};
    return Stream.of(
        // another extension, with a message type the Mining Protocol uses and a payload it rejects
        new Frame(0x0001, Sv2Message.OPEN_STANDARD_MINING_CHANNEL, junk),
        new Frame(0x0001 | Frame.CHANNEL_MSG_BIT, Sv2Message.SUBMIT_SHARES_STANDARD, junk),
        new Frame(0x7fff, 0xff, new byte[0]),
        // Mining Protocol messages this pool does not implement: UpdateChannel,
        // SubmitSharesExtended, SetCustomMiningJob, and a message type nobody defines
        new Frame(Frame.CHANNEL_MSG_BIT, 0x16, junk),
        new Frame(Frame.CHANNEL_MSG_BIT, 0x1b, junk),
        new Frame(0, 0x22, junk),
        new Frame(0, 0x7f, new byte[0]));
  }

  @ParameterizedTest
  @MethodSource("ignoredFrames")
  void unknownExtensionOrMessageType_ignored_theNextMessageAnswered(Frame f) throws Exception {
    TestMiner m = minerOnANewTemplate("a");

    m.send(f);

    // nothing answers the ignored frame: the share's answer comes first
    m.shareAccepted(9);
    assertTrue(node.logs.stream().noneMatch(l -> l.contains("closed")), node.logs.toString());
  }

  @Test
  void eachMiner_aReaderAndAWriterThread_named_userIdentityLogged() throws Exception {
    node.pool().newTemplate("test");
    node.miner("a");

    Set<String> names =
        Thread.getAllStackTraces().keySet().stream().map(Thread::getName).collect(toSet());

    assertTrue(names.contains("blvm-stratum-v2-miner-1"), names.toString());
    assertTrue(names.contains("blvm-stratum-v2-miner-1-writer"), names.toString());
    // user_identity is logged, nothing more
    node.awaitLog("INFO miner 1 opened channel 1 for \"a\" target ");
  }

  @Test
  void oneMinerBeyondMaxConnections_closedAtOnceWithAWarning_theOthersGoOn() throws Exception {
    TestMiner first = minerOnANewTemplate("a");
    for (int i = 2; i <= PoolTestCase.CONFIG.maxConnections(); i++) {
      node.miner("m" + i);
    }

    TestMiner beyond = node.connect();

    beyond.assertClosedByPool();
    node.awaitLog("WARN miner 5 refused: max_connections = 4");
    assertOthersGoOn(first);
  }

  @Test
  void extranoncePrefix_eightBytes_thePoolsSeedThenTheChannelId() throws Exception {
    node.pool().newTemplate("test");
    TestMiner m = node.connect();
    m.setUp();
    long one = m.open(1, "a", TestMiner.ANY_TARGET).channelId();
    long two = m.open(2, "b", TestMiner.ANY_TARGET).channelId();

    String p1 = m.prefix(one);
    String p2 = m.prefix(two);
    assertEquals(16, p1.length(), p1);
    assertEquals(p1.substring(0, 8), p2.substring(0, 8), "one seed per start");
    assertEquals(String.format("%08x", one), p1.substring(8));
    assertEquals(String.format("%08x", two), p2.substring(8));
    node.restart();
    TestMiner after = minerOnANewTemplate("c");
    String p3 = after.prefix(after.work().channelId());
    assertNotEquals(p1.substring(0, 8), p3.substring(0, 8), "a new seed after a restart");
  }

  /** {@code b} gets its share accepted and the pool's next job. */
  /**
   * A Noise initiator's first message (its 64-byte ephemeral key) read as a frame header: a key
   * whose length bytes announce more than the limit, and one that reads as a whole frame of another
   * message type than SetupConnection. Either way the connection is closed: there is no handshake.
   */
  static Stream<byte[]> noiseFirstMessages() {
    byte[] over = new byte[64];
    java.util.Arrays.fill(over, (byte) 0x11);
    byte[] notSetup = new byte[64];
    java.util.Arrays.fill(notSetup, (byte) 0x5a);
    notSetup[0] = 0;
    notSetup[1] = 0;
    notSetup[2] = 0x7f;
    notSetup[3] = 58; // the rest of the key
    notSetup[4] = 0;
    notSetup[5] = 0;
    return Stream.of(over, notSetup);
  }

  @ParameterizedTest
  @MethodSource("noiseFirstMessages")
  void noiseHandshake_notImplemented_connectionClosedWithItsWarning(byte[] key) throws Exception {
    node.pool().newTemplate("test");
    TestMiner a = node.connect();
    TestMiner b = node.miner("b");

    a.sendRaw(key);

    a.assertClosedByPool();
    String log = node.awaitLog("miner 1 sent a malformed frame, connection closed: ");
    assertTrue(
        log.contains("over the limit of 4096")
            || log.contains("the first message must be SetupConnection, found msg_type 0x7f"),
        log);
    assertOthersGoOn(b);
  }

  /** Job Declaration (1) and Template Distribution (2): sub-protocols this pool does not serve. */
  @ParameterizedTest
  @org.junit.jupiter.params.provider.ValueSource(ints = {1, 2})
  void otherSubProtocols_unsupportedProtocol_closed(int protocol) throws Exception {
    TestMiner a = node.connect();

    a.send(new Sv2Message.SetupConnection(protocol, 2, 2, 0, "h", 3333, "v", "hw", "fw", "d"));

    assertEquals(new Sv2Message.SetupConnectionError(0, "unsupported-protocol"), a.receive());
    a.assertClosedByPool();
  }

  @Test
  void openExtendedMiningChannel_unsupportedExtendedChannel_connectionGoesOn() throws Exception {
    TestMiner a = minerOnANewTemplate("a");
    // request_id 7, user "x", nominal hash rate, max_target, min_extranonce_size 8
    WireWriter w = new WireWriter().u32(7).str0255("x").f32(1f).u256(TestMiner.ANY_TARGET).u16(8);

    a.send(new Frame(0, Sv2Message.OPEN_EXTENDED_MINING_CHANNEL, w.toBytes()));

    assertEquals(
        new Sv2Message.OpenMiningChannelError(7, "unsupported-extended-channel"), a.receive());
    assertOthersGoOn(a);
  }

  private void assertOthersGoOn(TestMiner b) throws Exception {
    TestMiner.Work w = b.work();
    b.shareAccepted(1);
    node.pool().newTemplate("test");
    assertEquals(w.jobId() + 1, b.receive(Sv2Message.NewMiningJob.class).jobId());
    assertEquals(List.of(), node.logs.stream().filter(l -> l.startsWith("ERROR")).toList());
  }
}
