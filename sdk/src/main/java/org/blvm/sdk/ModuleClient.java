package org.blvm.sdk;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.blvm.protocol.ErrorValue;
import org.blvm.protocol.EventType;
import org.blvm.protocol.Message;
import org.blvm.protocol.ModuleContext;

/**
 * A module's connection to its node. Build one with {@link #builder(String[])}, register handlers,
 * then {@link Builder#connect()}: that authenticates, subscribes, registers the served methods and
 * reports ready. Handlers run only after {@code connect()} has returned, event handlers one at a
 * time on the thread {@code blvm-sdk-events} in arrival order, served methods on the threads {@code
 * blvm-sdk-invoke-N}; both may call {@link #api()} and block.
 *
 * <p>All methods are thread-safe. {@link #close()} is idempotent.
 */
public interface ModuleClient extends AutoCloseable {

  /** Environment variable holding the socket path. */
  String ENV_SOCKET = "BLVM_SOCKET";

  /** Environment variable holding the one-time token (64 hex characters). */
  String ENV_TOKEN = "BLVM_TOKEN";

  /** Argument overriding {@link #ENV_SOCKET}: {@code --blvm-socket=PATH}. */
  String ARG_SOCKET = "--blvm-socket=";

  /** Argument overriding {@link #ENV_TOKEN}: {@code --blvm-token=TOKEN}. */
  String ARG_TOKEN = "--blvm-token=";

  /** The invoke method the node sends (with a null caller) to stop the module. */
  String STOP_METHOD = "stop";

  /** A builder taking the socket path and token from the environment. */
  static Builder builder() {
    return new Builder(System.getenv(), new String[0]);
  }

  /**
   * A builder taking the socket path and token from the environment, overridden by {@code
   * --blvm-socket=PATH} and {@code --blvm-token=TOKEN} in {@code args}; other arguments are
   * ignored.
   */
  static Builder builder(String[] args) {
    return new Builder(System.getenv(), args);
  }

  /** What the node told this module in the welcome. */
  ModuleContext context();

  /**
   * The module's current config: {@code context().config()} at first, replaced by the module's own
   * entry ({@code modules.<id>} of {@code config_json}) of every {@code ConfigLoaded} event the
   * node sends (subscribe with {@link Builder#onConfig}). It is the manifest's {@code [config]}
   * overlaid with the operator's {@code [modules.<id>]} section (docs/config.md). Updated as soon
   * as the event is read, before handlers run.
   */
  JsonNode config();

  /** The typed NodeAPI. */
  NodeApi api();

  /** Sends a log line to the node; dropped silently once the connection is closed. */
  void log(Message.LogLevel level, String message);

  /** Whether the connection is still open. */
  boolean isOpen();

  /**
   * Waits until the connection is closed (stop from the node, close by either side, failure).
   *
   * @return true when closed, false when the timeout passed first
   */
  boolean awaitShutdown(Duration timeout) throws InterruptedException;

  /** Waits, without a deadline, until the connection is closed. */
  void awaitShutdown() throws InterruptedException;

  /**
   * Why the connection closed: the node's close code and message, {@code SHUTDOWN} after a stop or
   * a local {@link #close()}, {@code UNAVAILABLE} when the connection dropped, {@code
   * PROTOCOL_ERROR} when the node broke the protocol. Empty while open.
   */
  Optional<ErrorValue> closeReason();

  /** Sends a close message (if still open), closes the socket and stops the SDK's threads. */
  @Override
  void close();

  /** Handles a core event with its payload decoded to {@code T}. */
  @FunctionalInterface
  interface EventHandler<T> {
    void handle(Message.Event event, T payload) throws Exception;
  }

  /** Handles a module-published event; the payload is {@code event.payload()}. */
  @FunctionalInterface
  interface CustomEventHandler {
    void handle(Message.Event event) throws Exception;
  }

  /**
   * Serves one method to other modules. {@code caller} is the node-authenticated id of the calling
   * module (null when the node itself calls); {@code params} may be null. A null result is sent as
   * CBOR null; a thrown exception is answered as {@code INTERNAL}.
   */
  @FunctionalInterface
  interface MethodHandler {
    JsonNode handle(String caller, JsonNode params) throws Exception;
  }

  /**
   * Runs (on the event thread) for each {@code ConfigLoaded}: {@code config} is the module's own
   * current config (as {@link #config()} returns it), {@code visible} the whole {@code config_json}
   * the node let this module see, {@code changedSections} what changed (all visible sections in the
   * first event after subscribing).
   */
  @FunctionalInterface
  interface ConfigHandler {
    void onConfig(JsonNode config, JsonNode visible, java.util.List<String> changedSections)
        throws Exception;
  }

  /** Runs when the node stops the module, before the stop is answered. */
  @FunctionalInterface
  interface StopHandler {
    void onStop() throws Exception;
  }

  /** Collects handlers and settings; {@link #connect()} once. Not thread-safe. */
  final class Builder {
    private Path socket;
    private String token;
    private final Map<String, Subscription> subscriptions = new LinkedHashMap<>();
    private final Map<String, MethodHandler> methods = new LinkedHashMap<>();
    private StopHandler onStop = () -> {};
    private Duration requestTimeout = Duration.ofSeconds(30);
    private Duration handshakeTimeout = Duration.ofSeconds(10);
    private int eventQueueCapacity = 4096;
    private int invokeThreads = 4;

    Builder(Map<String, String> env, String[] args) {
      String s = env.get(ENV_SOCKET);
      String t = env.get(ENV_TOKEN);
      for (String a : args) {
        if (a.startsWith(ARG_SOCKET)) {
          s = a.substring(ARG_SOCKET.length());
        } else if (a.startsWith(ARG_TOKEN)) {
          t = a.substring(ARG_TOKEN.length());
        }
      }
      this.socket = s == null || s.isEmpty() ? null : Path.of(s);
      this.token = t;
    }

    /** Overrides the socket path from the environment or arguments. */
    public Builder socket(Path socket) {
      this.socket = Objects.requireNonNull(socket, "socket");
      return this;
    }

    /** Overrides the token from the environment or arguments. */
    public Builder token(String token) {
      this.token = Objects.requireNonNull(token, "token");
      return this;
    }

    /** Subscribes to a core event; one handler per type. */
    public <T extends Record> Builder onEvent(
        EventType type, Class<T> payloadType, EventHandler<? super T> handler) {
      Objects.requireNonNull(type, "type");
      Objects.requireNonNull(handler, "handler");
      if (type.payloadType() != payloadType) {
        throw new IllegalArgumentException(
            "the payload of "
                + type.wireName()
                + " is "
                + type.payloadType().getName()
                + ", not "
                + (payloadType == null ? "null" : payloadType.getName()));
      }
      add(type.wireName(), new Subscription(payloadType, handler, null));
      return this;
    }

    /**
     * Subscribes to {@code ConfigLoaded} and runs {@code handler} for each; the first arrives right
     * after connecting with everything this module may see. Needs only {@code subscribe_events};
     * sections beyond the module's own need {@code read_config} and the operator's {@code
     * config_sections}.
     */
    public Builder onConfig(ConfigHandler handler) {
      Objects.requireNonNull(handler, "handler");
      add(EventType.ConfigLoaded.wireName(), Subscription.config(handler));
      return this;
    }

    /** Subscribes to a module-published topic (a name containing a '.'); one handler per topic. */
    public Builder onCustomEvent(String topic, CustomEventHandler handler) {
      Objects.requireNonNull(topic, "topic");
      Objects.requireNonNull(handler, "handler");
      if (topic.indexOf('.') < 1 || topic.endsWith(".") || topic.length() > 128) {
        throw new IllegalArgumentException(
            "a custom event topic is namespaced like \"module.topic\" (at most 128 characters),"
                + " found \""
                + topic
                + "\"");
      }
      add(topic, new Subscription(null, null, handler));
      return this;
    }

    /** Serves {@code method} to other modules (via the node's call_module). */
    public Builder serve(String method, MethodHandler handler) {
      Objects.requireNonNull(method, "method");
      Objects.requireNonNull(handler, "handler");
      if (method.isEmpty() || method.length() > 128) {
        throw new IllegalArgumentException(
            "a method name has 1..128 characters, found " + method.length());
      }
      if (methods.putIfAbsent(method, handler) != null) {
        throw new IllegalArgumentException("method \"" + method + "\" is already served");
      }
      return this;
    }

    /** Runs when the node stops the module; replaces an earlier hook. */
    public Builder onStop(StopHandler hook) {
      this.onStop = Objects.requireNonNull(hook, "hook");
      return this;
    }

    /** Deadline of each NodeAPI call (default 30 s). */
    public Builder requestTimeout(Duration timeout) {
      this.requestTimeout = positive("requestTimeout", timeout);
      return this;
    }

    /** Deadline for the node's answer to the hello (default 10 s). */
    public Builder handshakeTimeout(Duration timeout) {
      this.handshakeTimeout = positive("handshakeTimeout", timeout);
      return this;
    }

    /**
     * Events held while handlers are busy (default 4096). When full, further events are dropped
     * (their sequence numbers show the gap) and a warning is logged to the node. The event thread
     * takes up to 64 events from the queue at a time; those no longer count against it.
     */
    public Builder eventQueueCapacity(int capacity) {
      if (capacity < 1) {
        throw new IllegalArgumentException("eventQueueCapacity must be >= 1, found " + capacity);
      }
      this.eventQueueCapacity = capacity;
      return this;
    }

    /** Threads running served methods concurrently (default 4). */
    public Builder invokeThreads(int threads) {
      if (threads < 1 || threads > 64) {
        throw new IllegalArgumentException("invokeThreads must be in 1..64, found " + threads);
      }
      this.invokeThreads = threads;
      return this;
    }

    /**
     * Connects, authenticates, subscribes to the events with handlers, registers the served methods
     * and reports ready.
     *
     * @throws ModuleConnectException when any step fails; nothing is left open
     */
    public ModuleClient connect() throws ModuleConnectException {
      if (socket == null) {
        throw new ModuleConnectException(
            ModuleConnectException.Reason.CONFIGURATION,
            "no socket path: set " + ENV_SOCKET + " or pass " + ARG_SOCKET + "PATH");
      }
      if (token == null || token.isEmpty()) {
        throw new ModuleConnectException(
            ModuleConnectException.Reason.CONFIGURATION,
            "no token: set " + ENV_TOKEN + " or pass " + ARG_TOKEN + "TOKEN");
      }
      if (!token.matches("[0-9a-fA-F]{64}")) {
        throw new ModuleConnectException(
            ModuleConnectException.Reason.CONFIGURATION,
            "the token must be 64 hex characters, found "
                + token.length()
                + " characters"
                + (token.chars().allMatch(c -> Character.digit(c, 16) >= 0)
                    ? ""
                    : " including non-hex ones"));
      }
      return DefaultModuleClient.connect(
          new ClientConfig(
              socket,
              token,
              subscriptions,
              methods,
              onStop,
              requestTimeout,
              handshakeTimeout,
              eventQueueCapacity,
              invokeThreads));
    }

    private void add(String type, Subscription s) {
      if (subscriptions.putIfAbsent(type, s) != null) {
        throw new IllegalArgumentException("a handler for \"" + type + "\" is already registered");
      }
    }

    private static Duration positive(String name, Duration d) {
      Objects.requireNonNull(d, name);
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException(name + " must be positive, found " + d);
      }
      return d;
    }
  }
}
