package org.blvm.sdk;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.blvm.protocol.Api;
import org.blvm.protocol.Codec;
import org.blvm.protocol.ErrorCode;
import org.blvm.protocol.ErrorValue;
import org.blvm.protocol.NodeMethod;
import org.blvm.protocol.ProtocolException;

/** {@link NodeApi} over one client's requests ({@link Calls}). */
final class DefaultNodeApi implements NodeApi {
  private static final Api.NoParams NO_PARAMS = new Api.NoParams();

  private final Calls calls;
  private final Codec codec;

  DefaultNodeApi(Calls calls, Codec codec) {
    this.calls = calls;
    this.codec = codec;
  }

  @Override
  public Api.Block getBlock(String hash) throws NodeApiException {
    return typed(NodeMethod.GET_BLOCK, new Api.HashParams(hash), Api.Block.class);
  }

  @Override
  public Api.BlockHeader getBlockHeader(String hash) throws NodeApiException {
    return typed(NodeMethod.GET_BLOCK_HEADER, new Api.HashParams(hash), Api.BlockHeader.class);
  }

  @Override
  public Api.Block getBlockByHeight(long height) throws NodeApiException {
    return typed(NodeMethod.GET_BLOCK_BY_HEIGHT, new Api.HeightParams(height), Api.Block.class);
  }

  @Override
  public String getBlockHash(long height) throws NodeApiException {
    return typed(NodeMethod.GET_BLOCK_HASH, new Api.HeightParams(height), Api.BlockHash.class)
        .hash();
  }

  @Override
  public Api.ChainTip getChainTip() throws NodeApiException {
    return typed(NodeMethod.GET_CHAIN_TIP, NO_PARAMS, Api.ChainTip.class);
  }

  @Override
  public long getBlockHeight() throws NodeApiException {
    return typed(NodeMethod.GET_BLOCK_HEIGHT, NO_PARAMS, Api.BlockHeight.class).height();
  }

  @Override
  public Api.Transaction getTransaction(String txid) throws NodeApiException {
    return typed(NodeMethod.GET_TRANSACTION, new Api.TxidParams(txid), Api.Transaction.class);
  }

  @Override
  public Api.Utxo getUtxo(String txid, int vout) throws NodeApiException {
    return typed(NodeMethod.GET_UTXO, new Api.UtxoParams(txid, vout), Api.Utxo.class);
  }

  @Override
  public List<Api.MempoolEntry> getMempoolTransactions() throws NodeApiException {
    return typed(NodeMethod.GET_MEMPOOL_TRANSACTIONS, NO_PARAMS, Api.MempoolTransactions.class)
        .transactions();
  }

  @Override
  public Api.MempoolEntry getMempoolTransaction(String txid) throws NodeApiException {
    return typed(
        NodeMethod.GET_MEMPOOL_TRANSACTION, new Api.TxidParams(txid), Api.MempoolEntry.class);
  }

  @Override
  public Api.MempoolSize getMempoolSize() throws NodeApiException {
    return typed(NodeMethod.GET_MEMPOOL_SIZE, NO_PARAMS, Api.MempoolSize.class);
  }

  @Override
  public Api.FeeEstimate getFeeEstimate(int targetBlocks) throws NodeApiException {
    return typed(
        NodeMethod.GET_FEE_ESTIMATE,
        new Api.FeeEstimateParams(targetBlocks),
        Api.FeeEstimate.class);
  }

  @Override
  public Api.SendTransactionResult sendTransaction(String rawHex) throws NodeApiException {
    return typed(
        NodeMethod.SEND_TRANSACTION,
        new Api.RawTransactionParams(rawHex),
        Api.SendTransactionResult.class);
  }

  @Override
  public Api.NetworkStats getNetworkStats() throws NodeApiException {
    return typed(NodeMethod.GET_NETWORK_STATS, NO_PARAMS, Api.NetworkStats.class);
  }

  @Override
  public List<Api.PeerInfo> getNetworkPeers() throws NodeApiException {
    return typed(NodeMethod.GET_NETWORK_PEERS, NO_PARAMS, Api.NetworkPeers.class).peers();
  }

  @Override
  public Api.BlockTemplate getBlockTemplate() throws NodeApiException {
    return typed(NodeMethod.GET_BLOCK_TEMPLATE, NO_PARAMS, Api.BlockTemplate.class);
  }

  @Override
  public Api.SubmitBlockResult submitBlock(String blockHex) throws NodeApiException {
    return typed(
        NodeMethod.SUBMIT_BLOCK, new Api.SubmitBlockParams(blockHex), Api.SubmitBlockResult.class);
  }

  @Override
  public Api.MiningInfo getMiningInfo() throws NodeApiException {
    return typed(NodeMethod.GET_MINING_INFO, NO_PARAMS, Api.MiningInfo.class);
  }

  @Override
  public List<Api.ModuleInfo> discoverModules() throws NodeApiException {
    return typed(NodeMethod.DISCOVER_MODULES, NO_PARAMS, Api.Modules.class).modules();
  }

  @Override
  public void reportMetric(String name, double value, Map<String, String> labels)
      throws NodeApiException {
    typed(NodeMethod.REPORT_METRIC, new Api.MetricParams(name, value, labels), Api.Empty.class);
  }

  @Override
  public int publishEvent(String type, JsonNode payload) throws NodeApiException {
    return typed(
            NodeMethod.PUBLISH_EVENT,
            new Api.PublishEventParams(type, payload),
            Api.Published.class)
        .delivered();
  }

  @Override
  public JsonNode callModule(String target, String method, JsonNode params)
      throws NodeApiException {
    return call(NodeMethod.CALL_MODULE, new Api.CallModuleParams(target, method, params));
  }

  @Override
  public java.net.Socket connect(String host, int port) throws NodeApiException {
    Calls.WithDescriptor r = received(NodeMethod.NET_CONNECT, new Api.NetConnectParams(host, port));
    try {
      return ReceivedSockets.socket(r.descriptor());
    } catch (java.io.IOException | RuntimeException e) {
      throw unusable(NodeMethod.NET_CONNECT, e);
    }
  }

  @Override
  public java.nio.channels.ServerSocketChannel listen(String address) throws NodeApiException {
    Calls.WithDescriptor r = received(NodeMethod.NET_LISTEN, new Api.NetListenParams(address));
    try {
      return ReceivedSockets.serverChannel(r.descriptor());
    } catch (java.io.IOException | RuntimeException e) {
      throw unusable(NodeMethod.NET_LISTEN, e);
    }
  }

  private Calls.WithDescriptor received(NodeMethod method, Object params) throws NodeApiException {
    return calls.callForDescriptor(method.wireName(), params);
  }

  private static NodeApiException unusable(NodeMethod method, Exception e) {
    return new NodeApiException(
        method.wireName(),
        ErrorValue.of(ErrorCode.INTERNAL, "the socket the node handed over is unusable: " + e));
  }

  @Override
  public JsonNode call(NodeMethod method, Object params) throws NodeApiException {
    Objects.requireNonNull(method, "method");
    if (params instanceof Record && params.getClass() != method.paramsType()) {
      throw new IllegalArgumentException(
          "the params of "
              + method.wireName()
              + " are "
              + method.paramsType().getName()
              + ", not "
              + params.getClass().getName());
    }
    // encoded without a tree (RequestFrames): the same bytes as the tree of the params
    return calls.call(method.wireName(), params);
  }

  private <T> T typed(NodeMethod method, Object params, Class<T> resultType)
      throws NodeApiException {
    JsonNode result = call(method, params);
    try {
      return codec.toValue(result, resultType);
    } catch (ProtocolException e) {
      throw new NodeApiException(
          method.wireName(),
          ErrorValue.of(
              ErrorCode.INTERNAL,
              "the node's result does not match "
                  + resultType.getSimpleName()
                  + ": "
                  + e.getMessage()));
    }
  }
}
