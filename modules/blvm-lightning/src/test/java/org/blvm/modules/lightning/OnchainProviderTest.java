package org.blvm.modules.lightning;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.blvm.protocol.Api;
import org.blvm.protocol.ErrorCode;
import org.blvm.protocol.ErrorValue;
import org.blvm.protocol.EventPayloads;
import org.blvm.sdk.NodeApi;
import org.blvm.sdk.NodeApiException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The onchain provider against a scripted chain: what it reports for each event. */
final class OnchainProviderTest {
  private static final String ADDRESS = "bcrt1qpay";
  private static final String PAYING = hash(0xaa);

  @TempDir Path tmp;

  /** The scripted chain: transactions and their block (null: mempool), block txids. */
  private final Map<String, String> txBlock = new HashMap<>();

  private final Map<String, List<String>> blockTxids = new HashMap<>();
  private final List<String> reports = new ArrayList<>();
  private Ledger ledger;
  private OnchainProvider provider;
  private int confirmations = 2;

  @BeforeEach
  void setUp() throws Exception {
    ledger =
        Ledger.open(
            new StateFile(tmp.resolve("state.json")),
            p -> reports.add(p.state() + " " + p.confirmations() + " " + p.reason()));
    provider = new OnchainProvider(() -> confirmations, () -> 6);
    provider.start(ledger, api());
    blockTxids.put(hash(10), List.of());
    provider.resync(); // tip: block 10
    ledger.add(Payment.waiting("pr-1", ADDRESS, 5000, 2_000));
  }

  private static String hash(long n) {
    return String.format("%064x", n);
  }

  private NodeApi api() {
    return (NodeApi)
        Proxy.newProxyInstance(
            NodeApi.class.getClassLoader(),
            new Class<?>[] {NodeApi.class},
            (proxy, m, args) ->
                switch (m.getName()) {
                  case "getChainTip" -> new Api.ChainTip(hash(10), 10);
                  case "getBlockHeader" ->
                      new Api.BlockHeader(
                          (String) args[0], hash(1), hash(2), 10, 1_000, 0x207fffff, 0, 4);
                  case "getMempoolTransactions" -> List.of();
                  case "getBlock" ->
                      new Api.Block(
                          new Api.BlockHeader(
                              (String) args[0], hash(1), hash(2), 0, 0, 0x207fffff, 0, 4),
                          blockTxids.get((String) args[0]),
                          100);
                  case "getTransaction" -> transaction((String) args[0]);
                  case "getMempoolTransaction" -> {
                    if (!txBlock.containsKey(args[0]) || txBlock.get(args[0]) != null) {
                      throw notFound();
                    }
                    yield new Api.MempoolEntry((String) args[0], 100, 200, 2.0);
                  }
                  default -> throw new UnsupportedOperationException(m.getName());
                });
  }

  private Api.Transaction transaction(String txid) throws NodeApiException {
    if (!txBlock.containsKey(txid)) {
      throw notFound();
    }
    List<Api.TxOutput> outs =
        txid.equals(PAYING)
            ? List.of(new Api.TxOutput(ADDRESS, 5000, "0014"), new Api.TxOutput("x", 1, "00"))
            : List.of(new Api.TxOutput("elsewhere", 5000, "0014"));
    return new Api.Transaction(txid, txBlock.get(txid), 100, "00", List.of(), outs);
  }

  private static NodeApiException notFound() {
    return new NodeApiException("get", ErrorValue.of(ErrorCode.NOT_FOUND, "no such thing"));
  }

  private void mempool(String txid) throws Exception {
    txBlock.put(txid, null);
    provider.onMempool(txid);
  }

  private void block(long height, long hashId, long time, String... txids) throws Exception {
    String h = hash(hashId);
    blockTxids.put(h, List.of(txids));
    for (String t : txids) {
      txBlock.put(t, h);
    }
    provider.onBlock(new EventPayloads.NewBlock(h, height, hash(1), time, txids.length));
  }

  @Test
  void paidSettledReorgedSettledAgain_eachChangeReportedOnce() throws Exception {
    mempool(hash(0xbb)); // pays someone else
    mempool(PAYING);
    block(11, 11, 1_100, PAYING);
    block(12, 12, 1_200);
    assertEquals(List.of("PENDING 0 null", "SETTLED 2 null"), reports);

    // a reorg removes block 11 (and 12): pending at once, nothing else on the way
    txBlock.put(PAYING, null);
    provider.onDisconnected(new EventPayloads.BlockDisconnected(hash(12), 12));
    provider.onDisconnected(new EventPayloads.BlockDisconnected(hash(11), 11));
    assertEquals(3, reports.size());
    assertTrue(reports.get(2).startsWith("PENDING 0 block " + hash(11)), reports.get(2));

    block(11, 111, 1_150);
    block(12, 112, 1_250, PAYING);
    block(13, 113, 1_300);
    block(14, 114, 1_400);
    assertEquals(4, reports.size(), reports::toString);
    assertEquals("SETTLED 2 null", reports.get(3));
  }

  @Test
  void reorgAboveThePayingBlock_lowerTipInFlight_changesNothing() throws Exception {
    confirmations = 3;
    mempool(PAYING);
    block(11, 11, 1_100, PAYING);
    block(12, 12, 1_200);
    block(13, 13, 1_300);
    assertEquals(List.of("PENDING 0 null", "SETTLED 3 null"), reports);

    provider.onDisconnected(new EventPayloads.BlockDisconnected(hash(13), 13));
    provider.onDisconnected(new EventPayloads.BlockDisconnected(hash(12), 12));
    block(12, 212, 1_210); // 2 confirmations for a moment, while the longer branch connects
    block(13, 213, 1_310);
    block(14, 214, 1_410);

    assertEquals(List.of("PENDING 0 null", "SETTLED 3 null"), reports);
  }

  @Test
  void nothingPaidByExpiry_failsAtTheFirstBlockAtOrAfterIt() throws Exception {
    block(11, 11, 1_999);
    assertEquals(List.of(), reports);
    block(12, 12, 2_000);
    assertEquals(List.of("FAILED 0 expired"), reports);
    assertEquals(0, ledger.size(), "a failed payment leaves the state");
  }

  @Test
  void paidButDroppedFromTheMempool_failsAfterExpiry() throws Exception {
    mempool(PAYING);
    txBlock.remove(PAYING); // evicted
    block(11, 11, 1_500);
    assertEquals(List.of("PENDING 0 null"), reports);
    block(12, 12, 2_100);
    assertEquals(List.of("PENDING 0 null", "FAILED 0 payment transaction dropped"), reports);
  }
}
