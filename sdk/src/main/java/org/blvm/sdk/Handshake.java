package org.blvm.sdk;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.blvm.protocol.Api;
import org.blvm.protocol.Codec;
import org.blvm.protocol.ErrorValue;
import org.blvm.protocol.Message;
import org.blvm.protocol.ModuleContext;
import org.blvm.protocol.NodeMethod;
import org.blvm.protocol.ProtocolException;

/**
 * The connect steps (protocol.md §4): hello, the node's welcome (checked by the holder of the read
 * lock as the first message, {@link #accept}), then subscribe_events, register_module_api and
 * ready. Any failure is a {@link ModuleConnectException} saying which step failed.
 */
final class Handshake {
  private final ClientConfig config;
  private final Codec codec;
  private final NodeChannel channel;
  private final Calls calls;
  private final ModuleLog log;
  private final CompletableFuture<ModuleContext> welcome = new CompletableFuture<>();
  private volatile ModuleContext context;

  Handshake(ClientConfig config, Codec codec, NodeChannel channel, Calls calls, ModuleLog log) {
    this.config = config;
    this.codec = codec;
    this.channel = channel;
    this.calls = calls;
    this.log = log;
  }

  /** What the welcome said; null before it was read. */
  ModuleContext context() {
    return context;
  }

  /** Sends the hello, waits for the welcome, subscribes, registers the methods, reports ready. */
  void run() throws ModuleConnectException {
    hello();
    setup();
  }

  /**
   * Caller holds the read lock. Checks the first message from the node (a close is handled by the
   * caller): a welcome with this module's protocol version completes the handshake.
   *
   * @return the protocol violation, or null
   */
  String accept(Message m) {
    if (!(m instanceof Message.Welcome w)) {
      return "expected welcome or close after hello, found " + m.kind();
    }
    if (w.version() != Codec.PROTOCOL_VERSION) {
      return "the node chose protocol version "
          + w.version()
          + "; this module offered only "
          + Codec.PROTOCOL_VERSION;
    }
    context = w.context();
    welcome.complete(w.context());
    return null;
  }

  /** The connection failed before (or after) the welcome; a waiting connect fails with this. */
  void fail(ModuleConnectException e) {
    welcome.completeExceptionally(e);
  }

  /** True when the node refused or the connection failed before a welcome was read. */
  boolean failed() {
    return welcome.isCompletedExceptionally();
  }

  private void hello() throws ModuleConnectException {
    try {
      channel.send(new Message.Hello(List.of(Codec.PROTOCOL_VERSION), config.token()));
    } catch (IOException e) {
      throw new ModuleConnectException(
          ModuleConnectException.Reason.IO, "cannot send the hello: " + e, null, e);
    }
    Duration timeout = config.handshakeTimeout();
    try {
      welcome.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      throw new ModuleConnectException(
          ModuleConnectException.Reason.TIMEOUT,
          "the node did not answer the hello within " + timeout.toMillis() + " ms");
    } catch (ExecutionException e) {
      if (e.getCause() instanceof ModuleConnectException m) {
        throw m;
      }
      throw new ModuleConnectException(
          ModuleConnectException.Reason.IO, "handshake failed: " + e.getCause(), null, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ModuleConnectException(
          ModuleConnectException.Reason.IO, "interrupted while waiting for the welcome");
    }
  }

  private void setup() throws ModuleConnectException {
    if (!config.subscriptions().isEmpty()) {
      List<String> wanted = new ArrayList<>(config.subscriptions().keySet());
      JsonNode result =
          call(
              NodeMethod.SUBSCRIBE_EVENTS.wireName(),
              codec.toTree(new Api.SubscribeParams(wanted)));
      Api.Subscribed subscribed;
      try {
        subscribed = codec.toValue(result, Api.Subscribed.class);
      } catch (ProtocolException e) {
        throw new ModuleConnectException(
            ModuleConnectException.Reason.PROTOCOL,
            "malformed subscribe_events result: " + e.getMessage(),
            null,
            e);
      }
      List<String> missing = new ArrayList<>(wanted);
      missing.removeAll(subscribed.events());
      if (!missing.isEmpty()) {
        log.send(Message.LogLevel.WARN, "subscribe_events did not grant " + missing);
      }
    }
    if (!config.methods().isEmpty()) {
      call(
          NodeMethod.REGISTER_MODULE_API.wireName(),
          codec.toTree(new Api.RegisterApiParams(new ArrayList<>(config.methods().keySet()))));
    }
    call(NodeMethod.READY, null);
  }

  private JsonNode call(String method, JsonNode params) throws ModuleConnectException {
    try {
      return calls.call(method, params);
    } catch (NodeApiException e) {
      throw new ModuleConnectException(
          ModuleConnectException.Reason.SETUP_FAILED, e.getMessage(), e.error(), e);
    }
  }

  /** A handshake failure for a connection that failed with {@code reason}. */
  static ModuleConnectException failure(
      ErrorValue reason, ModuleConnectException.Reason handshakeFailure) {
    boolean rejected = handshakeFailure == ModuleConnectException.Reason.REJECTED;
    return new ModuleConnectException(
        handshakeFailure,
        (rejected ? "the node refused the connection: " : "handshake failed: ")
            + reason.code()
            + ": "
            + reason.message(),
        rejected ? reason : null,
        null);
  }
}
