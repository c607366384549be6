package org.blvm.protocol;

import java.util.Optional;

/**
 * The catalog of core event types: wire name (the constant's CamelCase name), group, the capability
 * a module needs to subscribe, and the payload type. Only the node publishes these;
 * module-published events use custom, namespaced type names that are not in this catalog.
 */
public enum EventType {
  NewBlock(Group.BLOCKCHAIN, Capability.READ_BLOCKCHAIN, EventPayloads.NewBlock.class),
  BlockDisconnected(
      Group.BLOCKCHAIN, Capability.READ_BLOCKCHAIN, EventPayloads.BlockDisconnected.class),
  ChainReorg(Group.BLOCKCHAIN, Capability.READ_BLOCKCHAIN, EventPayloads.ChainReorg.class),
  BlockValidationStarted(
      Group.BLOCKCHAIN, Capability.READ_BLOCKCHAIN, EventPayloads.BlockValidationStarted.class),
  BlockValidationCompleted(
      Group.BLOCKCHAIN, Capability.READ_BLOCKCHAIN, EventPayloads.BlockValidationCompleted.class),

  MempoolTransactionAdded(
      Group.MEMPOOL, Capability.READ_MEMPOOL, EventPayloads.MempoolTransactionAdded.class),
  MempoolTransactionRemoved(
      Group.MEMPOOL, Capability.READ_MEMPOOL, EventPayloads.MempoolTransactionRemoved.class),
  FeeRateChanged(Group.MEMPOOL, Capability.READ_MEMPOOL, EventPayloads.FeeRateChanged.class),

  PeerConnected(Group.NETWORK, Capability.READ_NETWORK, EventPayloads.PeerConnected.class),
  PeerDisconnected(Group.NETWORK, Capability.READ_NETWORK, EventPayloads.PeerDisconnected.class),
  MessageReceived(Group.NETWORK, Capability.READ_NETWORK, EventPayloads.MessageReceived.class),

  ModuleLoaded(Group.MODULE, Capability.DISCOVER_MODULES, EventPayloads.ModuleLoaded.class),
  ModuleUnloaded(Group.MODULE, Capability.DISCOVER_MODULES, EventPayloads.ModuleUnloaded.class),
  ModuleCrashed(Group.MODULE, Capability.DISCOVER_MODULES, EventPayloads.ModuleCrashed.class),
  ModuleStateChanged(
      Group.MODULE, Capability.DISCOVER_MODULES, EventPayloads.ModuleStateChanged.class),

  /** Needs only subscribe_events: what is inside is filtered per module by read_config/policy. */
  ConfigLoaded(Group.CONFIG, Capability.SUBSCRIBE_EVENTS, EventPayloads.ConfigLoaded.class),

  GovernanceProposalCreated(
      Group.GOVERNANCE, Capability.SUBSCRIBE_EVENTS, EventPayloads.GovernanceProposalCreated.class),
  EconomicNodeRegistered(
      Group.GOVERNANCE, Capability.SUBSCRIBE_EVENTS, EventPayloads.EconomicNodeRegistered.class),
  EconomicNodeVeto(
      Group.GOVERNANCE, Capability.SUBSCRIBE_EVENTS, EventPayloads.EconomicNodeVeto.class),

  PaymentRequestCreated(
      Group.PAYMENTS, Capability.SUBSCRIBE_EVENTS, EventPayloads.PaymentRequestCreated.class),
  PaymentSettled(Group.PAYMENTS, Capability.SUBSCRIBE_EVENTS, EventPayloads.PaymentSettled.class),
  PaymentFailed(Group.PAYMENTS, Capability.SUBSCRIBE_EVENTS, EventPayloads.PaymentFailed.class),

  BlockTemplateUpdated(
      Group.MINING, Capability.READ_CHAIN_STATE, EventPayloads.BlockTemplateUpdated.class),
  MiningJobCreated(Group.MINING, Capability.READ_CHAIN_STATE, EventPayloads.MiningJobCreated.class),
  ShareSubmitted(Group.MINING, Capability.READ_CHAIN_STATE, EventPayloads.ShareSubmitted.class),

  NodeStartupCompleted(
      Group.NODE, Capability.SUBSCRIBE_EVENTS, EventPayloads.NodeStartupCompleted.class),
  NodeShutdown(Group.NODE, Capability.SUBSCRIBE_EVENTS, EventPayloads.NodeShutdown.class),

  /** Sent without subscription when the node dropped events for this module; see the payload. */
  EventsDropped(Group.DELIVERY, Capability.SUBSCRIBE_EVENTS, EventPayloads.EventsDropped.class);

  /** Event groups, as listed in docs/protocol.md. */
  public enum Group {
    BLOCKCHAIN,
    MEMPOOL,
    NETWORK,
    MODULE,
    CONFIG,
    GOVERNANCE,
    PAYMENTS,
    MINING,
    NODE,
    DELIVERY
  }

  private final Group group;
  private final Capability capability;
  private final Class<? extends Record> payloadType;

  EventType(Group group, Capability capability, Class<? extends Record> payloadType) {
    this.group = group;
    this.capability = capability;
    this.payloadType = payloadType;
  }

  public String wireName() {
    return name();
  }

  public Group group() {
    return group;
  }

  /**
   * The capability needed to subscribe, in addition to {@link Capability#SUBSCRIBE_EVENTS} which
   * every subscription needs.
   */
  public Capability capability() {
    return capability;
  }

  public Class<? extends Record> payloadType() {
    return payloadType;
  }

  /** Finds a core event type by its wire name; custom module topics are not found here. */
  public static Optional<EventType> fromWire(String name) {
    return name == null ? Optional.empty() : Optional.ofNullable(BY_NAME.get(name));
  }

  /** Looked up for every published event: a map, not a scan of a fresh copy of values(). */
  private static final java.util.Map<String, EventType> BY_NAME = byName();

  private static java.util.Map<String, EventType> byName() {
    java.util.Map<String, EventType> m = new java.util.HashMap<>();
    for (EventType t : values()) {
      m.put(t.name(), t);
    }
    return java.util.Map.copyOf(m);
  }
}
