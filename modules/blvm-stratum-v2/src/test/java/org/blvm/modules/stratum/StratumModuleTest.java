package org.blvm.modules.stratum;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.blvm.protocol.Api;
import org.blvm.protocol.Capability;
import org.blvm.protocol.EventPayloads;
import org.blvm.protocol.EventType;
import org.blvm.protocol.Message;
import org.blvm.protocol.NodeMethod;
import org.blvm.testsupport.FakeNode;
import org.blvm.testsupport.Poll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.newsclub.net.unix.AFUNIXServerSocket;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;

/**
 * The whole module ({@link Stratum#run}) in this JVM against a scripted node ({@link FakeNode})
 * over the SDK: events and config reloads reach it as the node sends them. {@code net_listen} hands
 * over a UNIX-domain listening socket of the test's (what the module does with the descriptor does
 * not depend on the family; TCP is StratumNodeIT's), and miners connect to it.
 */
@Timeout(60)
class StratumModuleTest {
  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final String ID = "blvm-stratum-v2";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String OWN =
      "{\"listen\":\"0.0.0.0:3333\",\"max_connections\":4,\"max_channels\":8,"
          + "\"share_zero_bits\":8}";

  @TempDir Path tmp;

  private final AtomicLong seq = new AtomicLong(1);
  private final List<String> logs = new ArrayList<>();
  private final List<Message.Request> requests = new ArrayList<>();
  private final AtomicInteger exit = new AtomicInteger(-1);
  private volatile Api.BlockTemplate template =
      ShareValidationTest.genesisTemplate(List.of(), List.of());
  private FakeNode node;
  private AFUNIXServerSocket listening;
  private Path listenPath;
  private Thread module;
  private final List<TestMiner> miners = new CopyOnWriteArrayList<>();

  @AfterEach
  void tearDown() throws Exception {
    for (TestMiner m : miners) {
      m.close();
    }
    if (node != null) {
      node.close();
    }
    if (module != null) {
      module.join(WAIT.toMillis());
    }
    if (listening != null) {
      listening.close();
    }
  }

  @Test
  void eventsDropped_theModuleMakesAJobFromTheNodesTemplateAgain() throws Exception {
    start(OWN);
    TestMiner m = miner();
    m.setUp();
    TestMiner.Work first = m.open(1, "a", TestMiner.ANY_TARGET);
    String prev = "00000000000000000000000000000000000000000000000000000000000000aa";
    template = FakePoolNode.easyTemplate(prev, 2); // a template the module was never told of

    event(EventType.EventsDropped, new EventPayloads.EventsDropped(3, 1, 3));

    Sv2Message.NewMiningJob job = m.receive(Sv2Message.NewMiningJob.class);
    assertEquals(first.jobId() + 1, job.jobId());
    Sv2Message.SetNewPrevHash p = m.receive(Sv2Message.SetNewPrevHash.class);
    assertEquals(prev, p.prevHash().displayHex());
    awaitLog("INFO job " + job.jobId() + " height=2 prev=" + prev);
    assertTrue(awaitLog("job " + job.jobId() + " ").endsWith("(events dropped)"));
  }

  @Test
  void badReload_keepsTheLastGoodConfig_goodOneAppliesToNewChannels() throws Exception {
    start(OWN);
    TestMiner m = miner();
    m.setUp();
    assertEquals(target(8), m.open(1, "a", TestMiner.ANY_TARGET).target());

    reload("{\"listen\":\"0.0.0.0:3333\",\"share_zero_bits\":99,\"colour\":\"red\"}");
    String refused = awaitLog("config refused, keeping the last good one: ");
    assertTrue(refused.startsWith("WARN "), refused);
    assertTrue(refused.contains("share_zero_bits must be an integer from 0 to 64"), refused);
    assertTrue(refused.contains("unknown key \"colour\""), refused);
    assertEquals(target(8), m.open(2, "b", TestMiner.ANY_TARGET).target());

    reload("{\"listen\":\"0.0.0.0:3333\",\"share_zero_bits\":10}");
    awaitLog("config applied: max_connections=32 max_channels=8 share_zero_bits=10");
    assertEquals(target(10), m.open(3, "c", TestMiner.ANY_TARGET).target());

    // a channel opened before keeps its target: a share meeting 2^248 − 1 but not 2^246 − 1
    TestMiner.Work before = m.work(1);
    long nonce = m.nonce(before, target(8), true);
    while (before.hash(nonce).compareTo(target(10)) <= 0) {
      nonce = m.nonce(before, target(8), true);
    }
    m.send(TestMiner.share(before, 1, nonce));
    assertEquals(new Sv2Message.SubmitSharesSuccess(before.channelId(), 1, 1, 256), m.receive());
  }

  @Test
  void reloadWithoutItsTable_orWithWronglyTypedValues_refused_theLastGoodConfigKept()
      throws Exception {
    start(OWN);
    TestMiner m = miner();
    m.setUp();

    event(
        EventType.ConfigLoaded,
        new EventPayloads.ConfigLoaded(List.of("network"), "{\"network\":{\"port\":8333}}"));
    String refused = awaitLog("config refused, keeping the last good one: no table modules." + ID);
    assertTrue(refused.startsWith("WARN "), refused);

    // a number over 64 bits whose low bits would be 8, and a string where a number belongs
    reload("{\"listen\":\"0.0.0.0:3333\",\"share_zero_bits\":18446744073709551624}");
    awaitLog("share_zero_bits must be an integer from 0 to 64, found 18446744073709551624");
    reload("{\"listen\":\"0.0.0.0:3333\",\"max_channels\":\"8\"}");
    awaitLog("max_channels must be an integer from 1 to 64, found \"8\"");
    reload("{\"listen\":3333}");
    awaitLog("listen must be \"ip:port\"");

    assertEquals(target(8), m.open(1, "a", TestMiner.ANY_TARGET).target());
    drain();
    assertTrue(
        logs.stream().noneMatch(l -> l.contains("config applied") || l.contains("failed")),
        logs::toString);
  }

  @Test
  void reloadWithAnotherListen_warned_theSocketKept_theRestApplied() throws Exception {
    start(OWN);

    reload("{\"listen\":\"0.0.0.0:4444\",\"share_zero_bits\":6}");

    String warned = awaitLog("listen changes at the next start of the module");
    assertTrue(warned.startsWith("WARN "), warned);
    awaitLog("config applied: max_connections=32 max_channels=8 share_zero_bits=6");
    TestMiner m = miner(); // on the socket bound at start
    m.setUp();
    assertEquals(target(6), m.open(1, "a", TestMiner.ANY_TARGET).target());
    drain();
    assertEquals(
        1,
        requests.stream().filter(r -> r.method().equals(NodeMethod.NET_LISTEN.wireName())).count(),
        "the socket is bound once");
  }

  @Test
  void unreadableStateFile_reportedAsAnError_countersFromZero() throws Exception {
    Path data = Files.createDirectories(tmp.resolve("data"));
    Files.writeString(data.resolve(StateStore.FILE), "{\"next_job_id\": 7,");

    start(OWN);

    String log = awaitLog(StateStore.FILE + " unreadable, starting from zero");
    assertTrue(log.startsWith("ERROR "), log);
    awaitLog("INFO job 1 height=0");
  }

  @Test
  void invalidConfigAtStart_loggedAndExitStatus4() throws Exception {
    launch("{\"listen\":\"0.0.0.0:3333\",\"max_channels\":0}");

    module.join(WAIT.toMillis());

    assertEquals(Stratum.EXIT_BAD_CONFIG, exit.get());
    String log = awaitLog("invalid config: ");
    assertTrue(log.startsWith("ERROR ") && log.contains("max_channels"), log);
  }

  private static BigInteger target(int zeroBits) {
    return BigInteger.ONE.shiftLeft(256 - zeroBits).subtract(BigInteger.ONE);
  }

  /** Starts the module with {@code own} and waits for its first job. */
  private void start(String own) throws Exception {
    launch(own);
    awaitLog("(start)");
  }

  private void launch(String own) throws Exception {
    Path data = Files.createDirectories(tmp.resolve("data"));
    Path sockets = Files.createDirectories(tmp.resolve("miners"));
    listenPath = sockets.resolve("pool.sock");
    listening = AFUNIXServerSocket.bindOn(AFUNIXSocketAddress.of(listenPath));
    listening.setShutdownOnClose(false);
    node = FakeNode.start(tmp);
    node.welcomeAs(
            ID,
            List.of(
                Capability.READ_CHAIN_STATE,
                Capability.READ_BLOCKCHAIN,
                Capability.SUBMIT_BLOCK,
                Capability.SUBSCRIBE_EVENTS,
                Capability.PUBLISH_EVENTS,
                Capability.NETWORK_LISTEN),
            data.toString())
        .welcomeConfig(JSON.readTree(own))
        .respondWith(this::answer);
    module = node.runModule("stratum-under-test", new Stratum()::run, exit::set);
  }

  /** The node's answers; null leaves the request to the fake node's defaults. */
  private Message answer(Message.Request r) {
    NodeMethod method =
        List.of(NodeMethod.values()).stream()
            .filter(n -> n.wireName().equals(r.method()))
            .findFirst()
            .orElse(null);
    if (method == null) {
      return null;
    }
    return switch (method) {
      case NET_LISTEN -> {
        try {
          node.sendWithDescriptors(
              Message.Response.ok(
                  r.id(), FakeNode.CODEC.toTree(new Api.NetListening("0.0.0.0", 3333))),
              listening.getFileDescriptor());
        } catch (IOException e) {
          throw new AssertionError(e);
        }
        yield null;
      }
      case GET_BLOCK_TEMPLATE -> Message.Response.ok(r.id(), FakeNode.CODEC.toTree(template));
      case GET_MINING_INFO ->
          Message.Response.ok(
              r.id(), FakeNode.CODEC.toTree(new Api.MiningInfo(1, 0x1d00ffffL, 1.0, 1.0, 0)));
      case PUBLISH_EVENT ->
          Message.Response.ok(r.id(), FakeNode.CODEC.toTree(new Api.Published(0)));
      default -> null;
    };
  }

  private TestMiner miner() throws IOException {
    AFUNIXSocket s = AFUNIXSocket.newInstance();
    TestMiner m = new TestMiner(s);
    miners.add(m);
    s.connect(AFUNIXSocketAddress.of(listenPath));
    return m;
  }

  private void event(EventType type, Object payload) throws IOException {
    node.send(
        new Message.Event(
            seq.getAndIncrement(), type.wireName(), null, FakeNode.CODEC.toTree(payload)));
  }

  /** A {@code ConfigLoaded} whose node config has {@code own} as this module's section. */
  private void reload(String own) throws IOException {
    String json = "{\"modules\":{\"" + ID + "\":" + own + "}}";
    event(EventType.ConfigLoaded, new EventPayloads.ConfigLoaded(List.of("modules." + ID), json));
  }

  /** Moves what the module sent so far into {@link #logs} and {@link #requests}. */
  private void drain() {
    List<Message> got = new ArrayList<>();
    node.inbox().drainTo(got);
    for (Message m : got) {
      if (m instanceof Message.Log l) {
        logs.add(l.level() + " " + l.message());
      } else if (m instanceof Message.Request r) {
        requests.add(r);
      }
    }
  }

  private String awaitLog(String part) throws InterruptedException {
    Poll.until(
        () -> {
          drain();
          return logs.stream().anyMatch(l -> l.contains(part));
        },
        WAIT,
        "a log line with " + part);
    return logs.stream().filter(l -> l.contains(part)).findFirst().orElseThrow();
  }
}
