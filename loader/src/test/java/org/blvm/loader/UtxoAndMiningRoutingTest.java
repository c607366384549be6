package org.blvm.loader;

import static org.blvm.loader.LoaderFixture.H1;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.file.Path;
import java.util.Optional;
import org.blvm.protocol.Api;
import org.blvm.protocol.ErrorCode;
import org.blvm.protocol.Message;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** get_utxo, send_transaction and get_mining_info reach the backend and carry its answer back. */
class UtxoAndMiningRoutingTest {
  @TempDir Path tmp;

  /** Answers the three methods with recognisable values. */
  static final class Backend implements NodeBackend {
    @Override
    public Optional<Api.Utxo> getUtxo(String txid, int vout) {
      return vout == 1
          ? Optional.of(new Api.Utxo(txid, vout, 4200, "bcrt1qexample", "0014ab", 7, false))
          : Optional.empty();
    }

    @Override
    public Api.SendTransactionResult sendTransaction(String rawHex) {
      return new Api.SendTransactionResult(H1, false, "bad-txns-in-belowout:" + rawHex);
    }

    @Override
    public Api.MiningInfo getMiningInfo() {
      return new Api.MiningInfo(12, 0x207fffffL, 4.6e-10, 0.25, 3);
    }
  }

  @Test
  void newMethods_routedToTheBackend() throws Exception {
    try (LoaderFixture fx =
            new LoaderFixture(tmp)
                .module("miner", "\"read_utxo\", \"send_transactions\", \"read_chain_state\"", "")
                .start(b -> b.backend(new Backend()));
        RawClient c = fx.handshake("miner")) {
      c.send(LoaderFixture.request(1, "get_utxo", new Api.UtxoParams(H1, 1), c));
      assertEquals(
          new Api.Utxo(H1, 1, 4200, "bcrt1qexample", "0014ab", 7, false),
          c.codec.toValue(c.expect(Message.Response.class).result(), Api.Utxo.class));

      c.send(LoaderFixture.request(2, "get_utxo", new Api.UtxoParams(H1, 0), c));
      assertEquals(ErrorCode.NOT_FOUND, c.expect(Message.Response.class).error().code());

      c.send(LoaderFixture.request(3, "send_transaction", new Api.RawTransactionParams("0a"), c));
      Message.Response sent = c.expect(Message.Response.class);
      assertNull(sent.error());
      assertEquals(
          new Api.SendTransactionResult(H1, false, "bad-txns-in-belowout:0a"),
          c.codec.toValue(sent.result(), Api.SendTransactionResult.class));

      c.send(new Message.Request(4, "get_mining_info", null));
      assertEquals(
          new Api.MiningInfo(12, 0x207fffffL, 4.6e-10, 0.25, 3),
          c.codec.toValue(c.expect(Message.Response.class).result(), Api.MiningInfo.class));

      c.send(LoaderFixture.request(5, "get_utxo", java.util.Map.of("txid", H1, "vout", -1), c));
      assertEquals(ErrorCode.INVALID_PARAMS, c.expect(Message.Response.class).error().code());
    }
  }
}
