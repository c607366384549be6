package org.blvm.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import org.blvm.protocol.Api;
import org.blvm.protocol.EventPayloads;
import org.blvm.protocol.EventType;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** send_transaction and get_utxo against the chain's UTXO set and mempool. */
class SendTransactionTest {
  private static final HexFormat HEX = HexFormat.of();
  private static final long COINBASE = 5_000_000_000L;

  private SimulatedChain chain;
  private RecordingSink sink;
  private String coin;

  @BeforeEach
  void chain() {
    chain = Sims.chain("block_interval_seconds = 0");
    sink = new RecordingSink();
    new SimulationDriver(chain, sink).startup();
    sink.clear();
    coin = chain.getBlockByHeight(1).orElseThrow().txids().get(0);
  }

  @Test
  void getUtxo_coinbaseOutputOfTheChain() {
    Api.Utxo u = chain.getUtxo(coin, 0).orElseThrow();
    assertEquals(coin, u.txid());
    assertEquals(0, u.vout());
    assertEquals(COINBASE, u.amountSats());
    assertEquals(1, u.height());
    assertTrue(u.coinbase());
    assertTrue(u.address().startsWith("bcrt1q"), u.address());
    assertEquals("0014", u.scriptHex().substring(0, 4));
    assertEquals(Optional.empty(), chain.getUtxo(coin, 1));
    assertEquals(Optional.empty(), chain.getUtxo("ee".repeat(32), 0));
  }

  @Test
  void send_validSpend_acceptedIntoTheMempoolAndPublishedBeforeReturning() {
    byte[] raw = tx(List.of(coin), 0, COINBASE - 10_000, p2wpkh(0x33));
    Api.SendTransactionResult r = chain.sendTransaction(HEX.formatHex(raw));

    String txid = HEX.formatHex(TestMiner.reverse(TestMiner.dsha(raw)));
    assertEquals(new Api.SendTransactionResult(txid, true, null), r);
    assertEquals(
        List.of(
            new EventOutbox.Event(
                EventType.MempoolTransactionAdded,
                new EventPayloads.MempoolTransactionAdded(
                    txid, raw.length, 10_000, 10_000.0 / raw.length))),
        sink.events);
    assertEquals(
        new Api.MempoolEntry(txid, raw.length, 10_000, 10_000.0 / raw.length),
        chain.getMempoolTransaction(txid).orElseThrow());
    Api.Transaction t = chain.getTransaction(txid).orElseThrow();
    assertNull(t.blockHash());
    assertEquals(HEX.formatHex(raw), t.rawHex());
    assertEquals(List.of(new Api.TxInput(coin, 0)), t.inputs());
    assertEquals(COINBASE - 10_000, t.outputs().get(0).amountSats());
    assertEquals("0014" + "33".repeat(20), t.outputs().get(0).scriptHex());
    assertEquals(
        Scripts.address("bcrt", Bytes.fromHex("0014" + "33".repeat(20))),
        t.outputs().get(0).address());
    // get_utxo reads the chain only: the coin is still unspent there
    assertTrue(chain.getUtxo(coin, 0).isPresent());

    // a child spending the unconfirmed output is accepted too; a block takes both, in order
    byte[] child = tx(List.of(txid), 0, COINBASE - 20_000, p2wpkh(0x44));
    String childId = chain.sendTransaction(HEX.formatHex(child)).txid();
    assertTrue(chain.getMempoolTransaction(childId).isPresent());
    Api.BlockTemplate template = chain.getBlockTemplate();
    assertEquals(List.of(txid, childId), template.txids());
    assertEquals(
        new Api.SubmitBlockResult(true, null), chain.submitBlock(TestMiner.mine(template, 5)));

    assertEquals(Optional.empty(), chain.getUtxo(coin, 0));
    assertEquals(Optional.empty(), chain.getUtxo(txid, 0));
    Api.Utxo out = chain.getUtxo(childId, 0).orElseThrow();
    assertEquals(COINBASE - 20_000, out.amountSats());
    assertEquals(11, out.height());
    assertFalse(out.coinbase());
    assertEquals(0, chain.getMempoolSize().count());
    assertEquals("txn-already-known", chain.sendTransaction(HEX.formatHex(raw)).reason());
    assertNull(chain.inconsistency());
  }

  @Test
  void send_badTransactions_eachRejectedWithItsReason() {
    assertEquals(new Api.SendTransactionResult(null, false, "decode-failed"), send("00ff"));
    assertEquals(
        "bad-txns-inputs-missingorspent",
        send(tx(List.of("ab".repeat(32)), 0, 1000, p2wpkh(1))).reason());
    assertEquals(
        "bad-txns-in-belowout", send(tx(List.of(coin), 0, COINBASE + 1, p2wpkh(1))).reason());
    assertEquals(
        "min relay fee not met", send(tx(List.of(coin), 0, COINBASE - 50, p2wpkh(1))).reason());
    assertEquals("dust", send(tx(List.of(coin), 0, 100, p2wpkh(1))).reason());
    String p2pkh = "1976a914" + "55".repeat(20) + "88ac";
    assertEquals("scriptpubkey", send(tx(List.of(coin), 0, 100_000, p2pkh)).reason());
    assertEquals(
        "bad-txns-inputs-duplicate", send(tx(List.of(coin, coin), 0, 100_000, p2wpkh(1))).reason());
    assertEquals("bad-txns-vout-empty", send(tx(List.of(coin), 0, -1, p2wpkh(1))).reason());
    assertEquals("coinbase", send(SubmitBlockTest.coinbase(11, 1000, 1)).reason());
    assertEquals(List.of(), sink.events, "nothing rejected is announced");
    assertEquals(0, chain.getMempoolSize().count());
  }

  @Test
  void send_conflict_replacedOnlyForAHigherFee() {
    byte[] first = tx(List.of(coin), 0, COINBASE - 10_000, p2wpkh(1));
    String firstId = send(first).txid();
    assertEquals("txn-already-in-mempool", send(first).reason());
    assertEquals(
        "insufficient fee", send(tx(List.of(coin), 0, COINBASE - 10_000, p2wpkh(2))).reason());
    sink.clear();

    Api.SendTransactionResult r = send(tx(List.of(coin), 0, COINBASE - 50_000, p2wpkh(2)));

    assertTrue(r.accepted(), r.toString());
    assertEquals(
        List.of(
            new EventPayloads.MempoolTransactionRemoved(firstId, "replaced"),
            sink.events.get(1).payload()),
        List.of(sink.events.get(0).payload(), sink.events.get(1).payload()));
    assertEquals(EventType.MempoolTransactionAdded, sink.events.get(1).type());
    assertTrue(chain.getMempoolTransaction(firstId).isEmpty());
    assertEquals(1, chain.getMempoolSize().count());
  }

  @Test
  void mempoolFull_lowestFeeRateEvicted() {
    SimulatedChain small =
        Sims.chain(
            "block_interval_seconds = 0", "max_mempool_transactions = 10", "initial_blocks = 100");
    RecordingSink events = new RecordingSink();
    try (SimulationDriver d = new SimulationDriver(small, events)) {
      for (int i = 0; i < 300; i++) {
        d.step();
        assertTrue(small.getMempoolSize().count() <= 10);
      }
    }
    assertTrue(
        events.of(EventPayloads.MempoolTransactionRemoved.class).stream()
            .anyMatch(e -> e.reason().equals("evicted")),
        "no eviction");
    assertNull(small.inconsistency());
  }

  private Api.SendTransactionResult send(byte[] raw) {
    return chain.sendTransaction(HEX.formatHex(raw));
  }

  private Api.SendTransactionResult send(String hex) {
    return chain.sendTransaction(hex);
  }

  private static String p2wpkh(int fill) {
    return RawTx.p2wpkh(fill);
  }

  /** Inputs spending output {@code vout} of each txid, one output (none when value < 0). */
  static byte[] tx(List<String> txids, long vout, long value, String scriptHex) {
    return RawTx.build(txids, vout, new byte[0], 0xfffffffdL, value, scriptHex);
  }
}
