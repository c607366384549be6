package org.blvm.protocol;

import java.util.Optional;

/**
 * The NodeAPI method catalog: every request method a module may send, the one capability it needs,
 * and its parameter and result types. This is the only list; the loader's dispatcher and the SDK
 * both read it.
 */
public enum NodeMethod {
  // blockchain
  GET_BLOCK(Capability.READ_BLOCKCHAIN, Api.HashParams.class, Api.Block.class),
  GET_BLOCK_HEADER(Capability.READ_BLOCKCHAIN, Api.HashParams.class, Api.BlockHeader.class),
  GET_BLOCK_BY_HEIGHT(Capability.READ_BLOCKCHAIN, Api.HeightParams.class, Api.Block.class),
  GET_BLOCK_HASH(Capability.READ_BLOCKCHAIN, Api.HeightParams.class, Api.BlockHash.class),
  GET_CHAIN_TIP(Capability.READ_BLOCKCHAIN, Api.NoParams.class, Api.ChainTip.class),
  GET_BLOCK_HEIGHT(Capability.READ_BLOCKCHAIN, Api.NoParams.class, Api.BlockHeight.class),
  GET_TRANSACTION(Capability.READ_BLOCKCHAIN, Api.TxidParams.class, Api.Transaction.class),
  // UTXO set
  GET_UTXO(Capability.READ_UTXO, Api.UtxoParams.class, Api.Utxo.class),
  // mempool
  GET_MEMPOOL_TRANSACTIONS(
      Capability.READ_MEMPOOL, Api.NoParams.class, Api.MempoolTransactions.class),
  GET_MEMPOOL_TRANSACTION(Capability.READ_MEMPOOL, Api.TxidParams.class, Api.MempoolEntry.class),
  GET_MEMPOOL_SIZE(Capability.READ_MEMPOOL, Api.NoParams.class, Api.MempoolSize.class),
  GET_FEE_ESTIMATE(Capability.READ_MEMPOOL, Api.FeeEstimateParams.class, Api.FeeEstimate.class),
  SEND_TRANSACTION(
      Capability.SEND_TRANSACTIONS,
      Api.RawTransactionParams.class,
      Api.SendTransactionResult.class),
  // network
  GET_NETWORK_STATS(Capability.READ_NETWORK, Api.NoParams.class, Api.NetworkStats.class),
  GET_NETWORK_PEERS(Capability.READ_NETWORK, Api.NoParams.class, Api.NetworkPeers.class),
  // mining
  GET_BLOCK_TEMPLATE(Capability.READ_CHAIN_STATE, Api.NoParams.class, Api.BlockTemplate.class),
  SUBMIT_BLOCK(Capability.SUBMIT_BLOCK, Api.SubmitBlockParams.class, Api.SubmitBlockResult.class),
  GET_MINING_INFO(Capability.READ_CHAIN_STATE, Api.NoParams.class, Api.MiningInfo.class),
  // module API
  SUBSCRIBE_EVENTS(Capability.SUBSCRIBE_EVENTS, Api.SubscribeParams.class, Api.Subscribed.class),
  PUBLISH_EVENT(Capability.PUBLISH_EVENTS, Api.PublishEventParams.class, Api.Published.class),
  /** The result is whatever the target module answered. */
  CALL_MODULE(Capability.CALL_MODULE, Api.CallModuleParams.class, null),
  REGISTER_MODULE_API(Capability.REGISTER_MODULE_API, Api.RegisterApiParams.class, Api.Empty.class),
  DISCOVER_MODULES(Capability.DISCOVER_MODULES, Api.NoParams.class, Api.Modules.class),
  REPORT_METRIC(Capability.REPORT_METRICS, Api.MetricParams.class, Api.Empty.class),
  // brokered network: a successful answer carries one descriptor (docs/protocol.md, §2.5)
  NET_CONNECT(Capability.NETWORK_CONNECT, Api.NetConnectParams.class, Api.NetConnected.class, true),
  NET_LISTEN(Capability.NETWORK_LISTEN, Api.NetListenParams.class, Api.NetListening.class, true);

  private final String wireName;
  private final Capability capability;
  private final Class<?> paramsType;
  private final Class<?> resultType;
  private final boolean passesDescriptor;

  NodeMethod(Capability capability, Class<?> paramsType, Class<?> resultType) {
    this(capability, paramsType, resultType, false);
  }

  NodeMethod(
      Capability capability, Class<?> paramsType, Class<?> resultType, boolean passesDescriptor) {
    this.wireName = name().toLowerCase(java.util.Locale.ROOT);
    this.capability = capability;
    this.paramsType = paramsType;
    this.resultType = resultType;
    this.passesDescriptor = passesDescriptor;
  }

  /**
   * Whether a successful response to this method carries exactly one file descriptor (SCM_RIGHTS on
   * the {@code sendmsg} that carries the response frame's first byte); no other frame carries one.
   */
  public boolean passesDescriptor() {
    return passesDescriptor;
  }

  public String wireName() {
    return wireName;
  }

  /** The capability a module must hold for the dispatcher to run this method. */
  public Capability capability() {
    return capability;
  }

  public Class<?> paramsType() {
    return paramsType;
  }

  /** The result type, or empty when the result is free-form (call_module). */
  public Optional<Class<?>> resultType() {
    return Optional.ofNullable(resultType);
  }

  public static Optional<NodeMethod> fromWire(String name) {
    return name == null ? Optional.empty() : Optional.ofNullable(BY_WIRE_NAME.get(name));
  }

  /** Looked up on every request: a map, not a scan of a fresh copy of values(). */
  private static final java.util.Map<String, NodeMethod> BY_WIRE_NAME = byWireName();

  private static java.util.Map<String, NodeMethod> byWireName() {
    java.util.Map<String, NodeMethod> m = new java.util.HashMap<>();
    for (NodeMethod method : values()) {
      m.put(method.wireName, method);
    }
    return java.util.Map.copyOf(m);
  }

  /**
   * Lifecycle request a module sends once it has subscribed and registered what it serves; it needs
   * no capability and takes no params. It is not a NodeAPI method and is not in this catalog.
   */
  public static final String READY = "ready";

  @Override
  public String toString() {
    return wireName;
  }
}
