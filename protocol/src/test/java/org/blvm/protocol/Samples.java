package org.blvm.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One sample instance of every record in {@link Api} and {@link EventPayloads}. Tests that walk the
 * catalogs fail when a new type has no sample here.
 */
final class Samples {
  static final String H1 = "00000000000000000001a0f3c6e4b6c2d9b0f8e7a6c5d4e3f2a1b0c9d8e7f6a5";
  static final String H2 = "00000000000000000002b1e4d7f5c7d3e0c1f9f8b7d6e5f4e3b2c1d0e9f8a7b6";
  static final String H3 = "4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b";

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private Samples() {}

  static ObjectNode freeForm() {
    ObjectNode o = NODES.objectNode();
    o.put("amount_msat", 1500);
    o.putArray("tags").add("a").add("b");
    o.putNull("memo");
    return o;
  }

  static Map<Class<?>, Object> all() {
    Map<Class<?>, Object> m = new LinkedHashMap<>();
    Api.BlockHeader header =
        new Api.BlockHeader(
            H1, H2, H3, 840_000, 1_713_571_767L, 0x17034219L, 3_932_395_645L, 0x20000000);
    Api.MempoolEntry entry = new Api.MempoolEntry(H3, 225, 4_500, 20.0);
    Api.PeerInfo peer = new Api.PeerInfo(7, "203.0.113.5:8333", false, "/Satoshi:27.0.0/");
    Api.ModuleInfo module = new Api.ModuleInfo("lightning", "1.2.0", "started", List.of("pay"));
    put(m, new Api.NoParams());
    put(m, new Api.HashParams(H1));
    put(m, new Api.HeightParams(840_000));
    put(m, new Api.TxidParams(H3));
    put(m, new Api.FeeEstimateParams(6));
    put(m, new Api.SubmitBlockParams("00ff10"));
    put(m, new Api.SubscribeParams(List.of("NewBlock", "lightning.invoice_paid")));
    put(m, new Api.PublishEventParams("lightning.invoice_paid", freeForm()));
    put(m, new Api.CallModuleParams("lightning", "pay", freeForm()));
    put(m, new Api.RegisterApiParams(List.of("pay", "get_invoice")));
    put(m, new Api.MetricParams("invoices_paid", 3.5, Map.of("channel", "abc")));
    put(m, new Api.Empty());
    put(m, header);
    put(m, new Api.Block(header, List.of(H3, H2), 1_234_567));
    put(m, new Api.ChainTip(H1, 840_000));
    put(m, new Api.BlockHash(H1));
    put(m, new Api.BlockHeight(840_000));
    Api.TxInput input = new Api.TxInput(H2, 1);
    Api.TxOutput output =
        new Api.TxOutput(
            "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080",
            50_000,
            "0014751e76e8199196d454941c45d1b3a323f1433bd6");
    put(m, input);
    put(m, output);
    put(m, new Api.Transaction(H3, null, 250, "0200ff", List.of(input), List.of(output)));
    put(m, new Api.UtxoParams(H3, 1));
    put(m, new Api.Utxo(H3, 1, 50_000, output.address(), output.scriptHex(), 840_000, false));
    put(m, new Api.RawTransactionParams("0200ff"));
    put(m, new Api.SendTransactionResult(H3, false, "bad-txns-inputs-missingorspent"));
    put(m, new Api.MiningInfo(840_000, 0x17034219L, 8.6e13, 6.1e20, 2));
    put(m, entry);
    put(m, new Api.MempoolTransactions(List.of(entry)));
    put(m, new Api.MempoolSize(12_000, 9_876_543));
    put(m, new Api.FeeEstimate(6, 12.25));
    put(m, new Api.NetworkStats(10, 2, 8, 1_000_000, 2_000_000));
    put(m, peer);
    put(m, new Api.NetworkPeers(List.of(peer)));
    put(
        m,
        new Api.BlockTemplate(
            H1,
            840_001,
            0x17034219L,
            312_500_000L,
            List.of(H3),
            0x20000000,
            1_713_572_000L,
            1_713_570_000L,
            "0000000000000000000342190000000000000000000000000000000000000000",
            "02000000010000",
            "ffffffff0100",
            8,
            List.of(H2),
            List.of("0200ff")));
    put(m, new Api.SubmitBlockResult(false, "bad-txnmrklroot"));
    put(m, new Api.Subscribed(List.of("NewBlock")));
    put(m, new Api.Published(2));
    put(m, module);
    put(m, new Api.Modules(List.of(module)));
    put(m, new Api.NetConnectParams("hooks.example.org", 443));
    put(m, new Api.NetConnected("203.0.113.7", 443, "*.example.org:443"));
    put(m, new Api.NetListenParams("0.0.0.0:3333"));
    put(m, new Api.NetListening("0.0.0.0", 3333));

    put(m, new EventPayloads.NewBlock(H1, 840_000, H2, 1_713_571_767L, 3_050));
    put(m, new EventPayloads.BlockDisconnected(H1, 840_000));
    put(m, new EventPayloads.ChainReorg(H1, H2, H3, 2));
    put(m, new EventPayloads.BlockValidationStarted(H1, 840_000));
    put(m, new EventPayloads.BlockValidationCompleted(H1, 840_000, false, "bad-txns"));
    put(m, new EventPayloads.MempoolTransactionAdded(H3, 225, 4_500, 20.0));
    put(m, new EventPayloads.MempoolTransactionRemoved(H3, "mined"));
    put(m, new EventPayloads.FeeRateChanged(10.5, 12.0));
    put(m, new EventPayloads.PeerConnected(7, "203.0.113.5:8333", true));
    put(m, new EventPayloads.PeerDisconnected(7, "timeout"));
    put(m, new EventPayloads.MessageReceived(7, "inv", 3, "01ff00"));
    put(m, new EventPayloads.ModuleLoaded("lightning", "1.2.0"));
    put(m, new EventPayloads.ModuleUnloaded("lightning", "stopped"));
    put(m, new EventPayloads.ModuleCrashed("lightning", 137, "killed"));
    put(m, new EventPayloads.ModuleStateChanged("lightning", "starting", "started"));
    put(m, new EventPayloads.ConfigLoaded(List.of("rpc"), "{\"rpc\":{\"port\":8332}}"));
    put(m, new EventPayloads.GovernanceProposalCreated("p-1", "raise limit"));
    put(m, new EventPayloads.EconomicNodeRegistered("n-1", "exchange"));
    put(m, new EventPayloads.EconomicNodeVeto("p-1", "n-1"));
    put(
        m,
        new EventPayloads.PaymentRequestCreated(
            "r-1", 50_000, "coffee", output.address(), 1_713_575_367L));
    put(m, new EventPayloads.PaymentSettled("r-1", 50_000));
    put(m, new EventPayloads.PaymentFailed("r-1", "expired"));
    put(m, new EventPayloads.BlockTemplateUpdated(H1, 840_001, 2_900));
    put(m, new EventPayloads.MiningJobCreated("job-9", H1, 840_001));
    put(m, new EventPayloads.ShareSubmitted("job-9", 65_536.0, true));
    put(m, new EventPayloads.NodeStartupCompleted("mainnet", 840_000));
    put(m, new EventPayloads.NodeShutdown("operator"));
    put(m, new EventPayloads.EventsDropped(3, 8190, 8192));
    return m;
  }

  static JsonNode tree(Object value) {
    return Codec.withDefaults().toTree(value);
  }

  private static void put(Map<Class<?>, Object> m, Object sample) {
    m.put(sample.getClass(), sample);
  }
}
