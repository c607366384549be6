package org.blvm.modules.stratum;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Proxy;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.blvm.protocol.Api;
import org.blvm.protocol.Message;
import org.blvm.sdk.ModuleClient;
import org.blvm.sdk.NodeApi;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A miner's connection to a {@link Pool} over a real loopback socket, the node faked behind the
 * SDK's {@link ModuleClient} and {@link NodeApi} interfaces: what a miner sees before the pool has
 * any block template.
 */
class MinerSessionTest {
  private static final BigInteger ANY_TARGET =
      BigInteger.ONE.shiftLeft(256).subtract(BigInteger.ONE);

  @TempDir Path tmp;

  private final List<String> logs = new CopyOnWriteArrayList<>();
  private StateStore state;
  private Pool pool;
  private java.nio.channels.ServerSocketChannel server;
  private Socket miner;

  @BeforeEach
  void setUp() throws IOException {
    state = new StateStore(tmp, logs::add);
    pool =
        new Pool(
            fakeClient(), new StratumConfig("127.0.0.1:0", 4, 8, 8), state, new SecureRandom());
    server = java.nio.channels.ServerSocketChannel.open();
    server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    miner = new Socket();
    miner.connect(server.getLocalAddress());
    miner.setSoTimeout(10_000); // a missing answer fails the test instead of hanging it
    pool.accept(server.accept());
  }

  @AfterEach
  void tearDown() throws Exception {
    miner.close();
    pool.close();
    server.close();
    state.close();
  }

  @Test
  void openChannel_beforeAnyTemplate_noTemplateYet_connectionStaysUsable() throws Exception {
    send(
        new Sv2Message.SetupConnection(
            0, 2, 2, 0, "127.0.0.1", 3333, "test", "hw", "fw", "device-1"));
    assertInstanceOf(Sv2Message.SetupConnectionSuccess.class, receive());

    send(new Sv2Message.OpenStandardMiningChannel(7, "early", 1.0f, ANY_TARGET));
    assertEquals(new Sv2Message.OpenMiningChannelError(7, "no-template-yet"), receive());

    // the connection stays open: once a template exists the same miner opens its channel
    pool.newTemplate("test");
    send(new Sv2Message.OpenStandardMiningChannel(8, "later", 1.0f, ANY_TARGET));
    Sv2Message.OpenStandardMiningChannelSuccess ok =
        assertInstanceOf(Sv2Message.OpenStandardMiningChannelSuccess.class, receive());
    assertEquals(8, ok.requestId());
    assertInstanceOf(Sv2Message.NewMiningJob.class, receive());
    assertInstanceOf(Sv2Message.SetNewPrevHash.class, receive());
    assertTrue(logs.stream().noneMatch(l -> l.contains("closed")), logs.toString());
  }

  private void send(Sv2Message m) throws IOException {
    miner.getOutputStream().write(m.frame().encode());
    miner.getOutputStream().flush();
  }

  private Sv2Message receive() throws Exception {
    InputStream in = miner.getInputStream();
    Frame f = Frame.read(in, Frame.MAX_PAYLOAD).orElseThrow(() -> new AssertionError("closed"));
    return Sv2Message.decode(f).orElseThrow(() -> new AssertionError("unknown " + f.msgType()));
  }

  /** The node: a genesis-like template, mining stats, and published events accepted. */
  private ModuleClient fakeClient() {
    NodeApi api =
        (NodeApi)
            Proxy.newProxyInstance(
                NodeApi.class.getClassLoader(),
                new Class<?>[] {NodeApi.class},
                (proxy, m, args) ->
                    switch (m.getName()) {
                      case "getBlockTemplate" ->
                          ShareValidationTest.genesisTemplate(List.of(), List.of());
                      case "getMiningInfo" -> new Api.MiningInfo(0, 0x1d00ffffL, 1.0, 1.0, 0);
                      case "publishEvent" -> 1;
                      default -> throw new UnsupportedOperationException(m.getName());
                    });
    return (ModuleClient)
        Proxy.newProxyInstance(
            ModuleClient.class.getClassLoader(),
            new Class<?>[] {ModuleClient.class},
            (proxy, m, args) ->
                switch (m.getName()) {
                  case "api" -> api;
                  case "log" -> {
                    logs.add(((Message.LogLevel) args[0]) + " " + args[1]);
                    yield null;
                  }
                  default -> throw new UnsupportedOperationException(m.getName());
                });
  }
}
