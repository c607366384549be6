package org.blvm.loader;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Pattern;
import org.blvm.policy.RateLimit;
import org.blvm.protocol.Api;
import org.blvm.protocol.Capability;
import org.blvm.protocol.Codec;
import org.blvm.protocol.ErrorCode;
import org.blvm.protocol.ErrorValue;
import org.blvm.protocol.EventType;
import org.blvm.protocol.Message;
import org.blvm.protocol.NodeMethod;
import org.blvm.protocol.ProtocolException;
import org.blvm.protocol.SharedEvent;

/**
 * The one place every module request passes through: the rate limit, method lookup in the catalog,
 * the capability check, strict params decoding, then the call. Every capability decision is
 * audited; every refusal for a missing capability or allowance goes through {@link #deny}. Runs on
 * the calling module's reader thread and never blocks on another module: module-to-module calls
 * complete asynchronously, and so do network requests ({@link NetworkBroker}). It knows modules
 * only through {@link Session}, {@link ModuleDirectory}, {@link EventSink} and {@link
 * SubscriptionListener}.
 *
 * <p>Over 400 lines: one handler per NodeAPI method of the catalog, kept together so that every
 * check a request passes is in one file.
 */
final class Dispatcher {
  private static final System.Logger LOG = System.getLogger("blvm.loader.dispatch");

  /** Custom topics: lowercase dotted names; core event types are CamelCase and never match. */
  static final Pattern CUSTOM_TOPIC = Pattern.compile("[a-z0-9_-]{1,64}(\\.[a-z0-9_-]{1,64}){1,4}");

  private static final int MAX_SUBSCRIPTIONS = 256;

  /** Encoded size bound of a module-published event (topic, source and payload). */
  static final int MAX_PUBLISH_PAYLOAD_BYTES = 64 * 1024;

  private final NodeBackend backend;
  private final Codec codec;
  private final AuditLog audit;
  private final ModuleDirectory modules;
  private final EventSink events;
  private final SubscriptionListener subscriptions;
  private final NetworkBroker network;

  Dispatcher(
      NodeBackend backend,
      Codec codec,
      AuditLog audit,
      ModuleDirectory modules,
      EventSink events,
      SubscriptionListener subscriptions,
      NetworkBroker network) {
    this.backend = backend;
    this.codec = codec;
    this.audit = audit;
    this.modules = modules;
    this.events = events;
    this.subscriptions = subscriptions;
    this.network = network;
  }

  /** Answers one request; the answer may arrive later (call_module). */
  CompletableFuture<Reply> dispatch(Session caller, Message.Request req) {
    return dispatch(caller, req, ModuleCounters.row(req.method()));
  }

  /**
   * {@link #dispatch(Session, Message.Request)} of a request whose method was looked up already:
   * {@code row} is {@link ModuleCounters#row} of its method.
   */
  CompletableFuture<Reply> dispatch(Session caller, Message.Request req, int row) {
    long id = req.id();
    if (!caller.tryRequest()) {
      return rateLimited(caller, req);
    }
    if (row == ModuleCounters.READY_ROW) {
      caller.markReady();
      return ok(id, new Api.Empty());
    }
    NodeMethod method = ModuleCounters.method(row);
    if (method == null) {
      return done(
          error(id, ErrorCode.UNKNOWN_METHOD, "no NodeAPI method \"" + req.method() + "\""));
    }
    if (!caller.granted().contains(method.capability())) {
      return deny(
          caller,
          id,
          method.wireName(),
          method.capability(),
          ErrorValue.notCapable(
              method.capability(),
              method.wireName()
                  + " needs the capability "
                  + method.capability()
                  + ", which module "
                  + caller.id()
                  + " was not granted"));
    }
    audit.record(caller.id(), method.wireName(), method.capability().wireName(), true);
    Object params;
    try {
      params = codec.toValue(req.params(), method.paramsType());
    } catch (ProtocolException e) {
      return done(
          error(
              id,
              ErrorCode.INVALID_PARAMS,
              "invalid params for " + method.wireName() + ": " + e.getMessage()));
    }
    try {
      return call(caller, id, method, params);
    } catch (UnsupportedOperationException e) {
      return done(
          error(id, ErrorCode.UNAVAILABLE, "this node does not serve " + method.wireName()));
    } catch (RuntimeException e) {
      LOG.log(
          System.Logger.Level.ERROR,
          "module " + caller.id() + ": " + method.wireName() + " failed in the node",
          e);
      return done(error(id, ErrorCode.INTERNAL, method.wireName() + " failed inside the node"));
    }
  }

  private CompletableFuture<Reply> rateLimited(Session caller, Message.Request req) {
    String capability =
        NodeMethod.fromWire(req.method()).map(m -> m.capability().wireName()).orElse(null);
    long n = caller.rateLimitedToAudit();
    if (n > 0) {
      audit.record(caller.id(), req.method(), capability, "rate_limited", n);
    }
    RateLimit limit = caller.policy().rateLimit();
    return done(
        error(
            req.id(),
            ErrorCode.RATE_LIMITED,
            "module "
                + caller.id()
                + " is over its rate limit of "
                + limit.requestsPerSecond()
                + " requests/s (burst "
                + limit.burst()
                + "); slow down and retry"));
  }

  private CompletableFuture<Reply> call(Session caller, long id, NodeMethod method, Object p) {
    switch (method) {
      case GET_BLOCK:
        return found(id, backend.getBlock(((Api.HashParams) p).hash()), "block");
      case GET_BLOCK_HEADER:
        return found(id, backend.getBlockHeader(((Api.HashParams) p).hash()), "block header");
      case GET_BLOCK_BY_HEIGHT:
        return found(
            id, backend.getBlockByHeight(((Api.HeightParams) p).height()), "block at that height");
      case GET_BLOCK_HASH:
        return found(
            id,
            backend.getBlockHash(((Api.HeightParams) p).height()).map(Api.BlockHash::new),
            "block at that height");
      case GET_CHAIN_TIP:
        return ok(id, backend.getChainTip());
      case GET_BLOCK_HEIGHT:
        return ok(id, new Api.BlockHeight(backend.getChainTip().height()));
      case GET_TRANSACTION:
        return found(id, backend.getTransaction(((Api.TxidParams) p).txid()), "transaction");
      case GET_UTXO:
        return found(
            id,
            backend.getUtxo(((Api.UtxoParams) p).txid(), ((Api.UtxoParams) p).vout()),
            "unspent output");
      case GET_MEMPOOL_TRANSACTIONS:
        return ok(id, new Api.MempoolTransactions(backend.getMempoolTransactions()));
      case GET_MEMPOOL_TRANSACTION:
        return found(
            id, backend.getMempoolTransaction(((Api.TxidParams) p).txid()), "mempool transaction");
      case GET_MEMPOOL_SIZE:
        return ok(id, backend.getMempoolSize());
      case GET_FEE_ESTIMATE:
        return ok(id, backend.getFeeEstimate(((Api.FeeEstimateParams) p).targetBlocks()));
      case SEND_TRANSACTION:
        return ok(id, backend.sendTransaction(((Api.RawTransactionParams) p).rawHex()));
      case GET_NETWORK_STATS:
        return ok(id, backend.getNetworkStats());
      case GET_NETWORK_PEERS:
        return ok(id, new Api.NetworkPeers(backend.getNetworkPeers()));
      case GET_BLOCK_TEMPLATE:
        return ok(id, backend.getBlockTemplate());
      case SUBMIT_BLOCK:
        return ok(id, backend.submitBlock(((Api.SubmitBlockParams) p).blockHex()));
      case GET_MINING_INFO:
        return ok(id, backend.getMiningInfo());
      case SUBSCRIBE_EVENTS:
        return subscribe(caller, id, (Api.SubscribeParams) p);
      case PUBLISH_EVENT:
        return publish(caller, id, (Api.PublishEventParams) p);
      case CALL_MODULE:
        return callModule(caller, id, (Api.CallModuleParams) p);
      case REGISTER_MODULE_API:
        return register(caller, id, (Api.RegisterApiParams) p);
      case DISCOVER_MODULES:
        return ok(id, new Api.Modules(modules.moduleInfos()));
      case REPORT_METRIC:
        {
          Api.MetricParams m = (Api.MetricParams) p;
          ErrorValue refused = caller.reportMetric(m.name(), m.labels(), m.value());
          return refused == null
              ? ok(id, new Api.Empty())
              : done(Message.Response.error(id, refused));
        }
      case NET_CONNECT:
        return network.connect(caller, id, (Api.NetConnectParams) p);
      case NET_LISTEN:
        return network.listen(caller, id, (Api.NetListenParams) p);
      default:
        throw new IllegalStateException("method without a handler: " + method);
    }
  }

  private CompletableFuture<Reply> subscribe(Session caller, long id, Api.SubscribeParams p) {
    Set<String> wanted = new LinkedHashSet<>();
    for (String name : p.events()) {
      Optional<EventType> core = EventType.fromWire(name);
      if (core.isPresent()) {
        Capability needed = core.get().capability();
        String what = "subscribe_events:" + name;
        if (!caller.granted().contains(needed)) {
          return deny(
              caller,
              id,
              what,
              needed,
              ErrorValue.notCapable(
                  needed, "subscribing to " + name + " needs the capability " + needed));
        }
        audit.record(caller.id(), what, needed.wireName(), true);
      } else if (!CUSTOM_TOPIC.matcher(name).matches()) {
        return done(
            error(
                id,
                ErrorCode.INVALID_PARAMS,
                "unknown event type \""
                    + name
                    + "\": not a core event and not a custom topic like \"lightning.invoice_paid\""));
      }
      wanted.add(name);
    }
    Set<String> all = caller.subscribe(wanted, MAX_SUBSCRIPTIONS);
    if (all == null) {
      return done(
          error(
              id,
              ErrorCode.INVALID_PARAMS,
              "at most " + MAX_SUBSCRIPTIONS + " subscriptions per module"));
    }
    return ok(id, new Api.Subscribed(new ArrayList<>(all)))
        .thenApply(r -> r.thenAfterSent(() -> subscriptions.subscribed(caller)));
  }

  private CompletableFuture<Reply> publish(Session caller, long id, Api.PublishEventParams p) {
    if (EventType.fromWire(p.type()).isPresent()) {
      return refusePublish(
          caller, id, p.type(), p.type() + " is a core event type; only the node publishes it");
    }
    if (!CUSTOM_TOPIC.matcher(p.type()).matches()) {
      return done(
          error(
              id,
              ErrorCode.INVALID_PARAMS,
              "event type \""
                  + p.type()
                  + "\" is not a custom topic like \"lightning.invoice_paid\""));
    }
    if (!caller.manifest().publishes().contains(p.type())) {
      return refusePublish(
          caller,
          id,
          p.type(),
          "module "
              + caller.id()
              + " did not declare \""
              + p.type()
              + "\" in module.toml \"publishes\"");
    }
    JsonNode payload = p.payload() == null ? NullNode.getInstance() : p.payload();
    if (!payload.isObject() && !payload.isNull()) {
      return done(
          error(
              id,
              ErrorCode.INVALID_PARAMS,
              "the payload of a custom event must be a map or null, found "
                  + payload.getNodeType()));
    }
    // encoded once: the size check and every subscriber use the same bytes
    SharedEvent event = codec.encodeShared(p.type(), caller.id(), payload);
    if (event.tailLength() > MAX_PUBLISH_PAYLOAD_BYTES) {
      return done(
          error(
              id,
              ErrorCode.INVALID_PARAMS,
              "event of "
                  + event.tailLength()
                  + " bytes (topic, source and payload, encoded) exceeds the limit of "
                  + MAX_PUBLISH_PAYLOAD_BYTES));
    }
    audit.record(
        caller.id(), "publish_event:" + p.type(), Capability.PUBLISH_EVENTS.wireName(), true);
    int delivered = events.publishFromModule(event, caller.id(), payload);
    return ok(id, new Api.Published(delivered));
  }

  /** A topic this module may not publish: denied, NOT_CAPABLE. */
  private CompletableFuture<Reply> refusePublish(Session caller, long id, String type, String why) {
    return deny(
        caller,
        id,
        "publish_event:" + type,
        Capability.PUBLISH_EVENTS,
        ErrorValue.notCapable(Capability.PUBLISH_EVENTS, why));
  }

  /**
   * The one path of every refusal for a missing capability or allowance: audited as denied, counted
   * for the module, answered with {@code answer}.
   */
  private CompletableFuture<Reply> deny(
      Session caller, long id, String what, Capability capability, ErrorValue answer) {
    audit.record(caller.id(), what, capability.wireName(), false);
    caller.countDenied(capability);
    return done(Message.Response.error(id, answer));
  }

  /**
   * Routes a module-to-module call: the caller must be allowed by the operator ({@code
   * callable_modules}) and the target must serve the method. A target the caller may neither call
   * nor discover is reported exactly like one that does not exist.
   */
  private CompletableFuture<Reply> callModule(Session caller, long id, Api.CallModuleParams p) {
    Optional<Session> target = modules.session(p.target());
    boolean self = target.isPresent() && target.get() == caller;
    boolean allowedPair = caller.policy().mayCall(p.target());
    String what = "call_module:" + p.target() + "." + p.method();
    if (self) {
      return done(error(id, ErrorCode.NOT_FOUND, "a module cannot call itself through the node"));
    }
    ErrorValue absent = ErrorValue.of(ErrorCode.NOT_FOUND, "no module \"" + p.target() + "\"");
    boolean onDemand = !self && modules.startsOnDemand(p.target());
    if (target.isEmpty() && !onDemand) {
      return done(Message.Response.error(id, absent));
    }
    if (!allowedPair) {
      // a target the caller may not discover is refused exactly like one that does not exist
      return deny(
          caller,
          id,
          what,
          Capability.CALL_MODULE,
          caller.granted().contains(Capability.DISCOVER_MODULES)
              ? ErrorValue.notCapable(
                  Capability.CALL_MODULE,
                  "the operator's policy does not let module "
                      + caller.id()
                      + " call module "
                      + p.target()
                      + " (add it to callable_modules in [modules."
                      + caller.id()
                      + "])")
              : absent);
    }
    audit.record(caller.id(), what, Capability.CALL_MODULE.wireName(), true);
    if (onDemand) {
      // launched by this call if idle; the answer waits for it, bounded by the call timeout
      return modules
          .callOnDemand(p.target(), p.method(), p.params(), caller.id())
          .thenApply(r -> answer(id, r));
    }
    if (!target.get().serves(p.method())) {
      return done(
          error(
              id,
              ErrorCode.UNKNOWN_METHOD,
              "module " + p.target() + " does not serve \"" + p.method() + "\""));
    }
    return modules
        .invoke(p.target(), p.method(), p.params(), caller.id())
        .thenApply(r -> answer(id, r));
  }

  /** The target's answer {@code r} as the answer to request {@code id}. */
  private static Reply answer(long id, Message.Response r) {
    return Reply.of(
        r.error() != null
            ? Message.Response.error(id, r.error())
            : Message.Response.ok(id, r.result()));
  }

  private CompletableFuture<Reply> register(Session caller, long id, Api.RegisterApiParams p) {
    List<String> undeclared = new ArrayList<>();
    for (String m : p.methods()) {
      if (!caller.manifest().provides().contains(m)) {
        undeclared.add(m);
      }
    }
    if (!undeclared.isEmpty()) {
      return done(
          error(
              id,
              ErrorCode.INVALID_PARAMS,
              "methods not declared in module.toml \"provides\": "
                  + String.join(", ", undeclared)));
    }
    caller.registerMethods(p.methods());
    return ok(id, new Api.Empty());
  }

  private CompletableFuture<Reply> found(long id, Optional<?> value, String what) {
    return value.isPresent()
        ? ok(id, value.get())
        : done(error(id, ErrorCode.NOT_FOUND, what + " not found"));
  }

  /** A successful answer; its typed result is encoded straight to CBOR when it is sent. */
  private static CompletableFuture<Reply> ok(long id, Object value) {
    return CompletableFuture.completedFuture(Reply.ok(id, value));
  }

  private static CompletableFuture<Reply> done(Message.Response r) {
    return CompletableFuture.completedFuture(Reply.of(r));
  }

  private static Message.Response error(long id, ErrorCode code, String message) {
    return Message.Response.error(id, ErrorValue.of(code, message));
  }
}
