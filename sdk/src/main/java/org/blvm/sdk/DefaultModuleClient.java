package org.blvm.sdk;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import org.blvm.protocol.Codec;
import org.blvm.protocol.ErrorCode;
import org.blvm.protocol.ErrorValue;
import org.blvm.protocol.EventDecoder;
import org.blvm.protocol.Message;
import org.blvm.protocol.ModuleContext;
import org.blvm.protocol.ProtocolException;

/**
 * The one implementation of {@link ModuleClient}: the routing of every frame from the node and the
 * close, over these parts:
 *
 * <ul>
 *   <li>{@link Handshake}: hello, welcome, subscribe, register, ready.
 *   <li>{@link NodeChannel}: the socket; whole frames written under its write lock.
 *   <li>{@link ResponseReader}: reads frames under the read lock (the reader thread, or a caller
 *       reading its own answer) and hands each to {@link #route}; its waiting rules are {@link
 *       SpinPolicy}'s.
 *   <li>{@link Calls}: NodeAPI requests and their answers.
 *   <li>{@link EventDispatcher}: the event queue and the thread running event handlers.
 *   <li>{@link InvokeRunner}: served methods and the stop hook on a small pool.
 * </ul>
 *
 * <p>The read and write locks are the only locks held across I/O, and no lock is held while module
 * code runs. Threads and locks are listed in package-info.
 */
final class DefaultModuleClient implements ModuleClient, ResponseReader.Router {
  private final Codec codec;
  private final Lifecycle life;
  private final NodeChannel channel;
  private final ModuleLog log;
  private final ResponseReader responses;
  private final Calls calls;
  private final EventDispatcher events;
  private final InvokeRunner invokes;
  private final NodeApi api;
  private final Handshake handshake;

  /** The record class each event type's typed handler takes ({@link EventDispatcher}). */
  private final Function<String, Class<?>> payloadTypes;

  /** Guarded by the read lock: the welcome has been read. */
  private boolean welcomed;

  private DefaultModuleClient(
      ClientConfig config, Codec codec, Lifecycle life, NodeChannel channel) {
    this.codec = codec;
    this.life = life;
    this.channel = channel;
    ReentrantLock readLock = new ReentrantLock();
    this.log = new ModuleLog(channel, life, codec.limits().maxStringBytes() / 4);
    this.responses =
        new ResponseReader(
            channel,
            readLock,
            codec.limits().maxFrameBytes(),
            SpinPolicy.forThisMachine(),
            life,
            this);
    this.calls = new Calls(channel, responses, life, config.requestTimeout());
    this.events = new EventDispatcher(config, codec, life, log, readLock);
    this.payloadTypes = events::payloadType;
    this.invokes =
        new InvokeRunner(
            config,
            channel,
            life,
            log,
            () ->
                shutdown(
                    ErrorValue.of(ErrorCode.SHUTDOWN, "stopped by the node"),
                    new Message.Close(ErrorCode.SHUTDOWN, "module stopped")));
    this.handshake = new Handshake(config, codec, channel, calls, log);
    this.api = new DefaultNodeApi(calls, codec);
  }

  static ModuleClient connect(ClientConfig config) throws ModuleConnectException {
    SocketDirectory.verifyPrivate(config.socket());
    Codec codec = Codec.withDefaults();
    Lifecycle life = new Lifecycle();
    DefaultModuleClient client =
        new DefaultModuleClient(
            config, codec, life, NodeChannel.connect(config.socket(), codec, life));
    client.responses.start();
    client.events.start();
    try {
      client.handshake.run();
    } catch (ModuleConnectException e) {
      client.shutdown(
          ErrorValue.of(ErrorCode.SHUTDOWN, "connect failed: " + e.getMessage()),
          client.handshake.failed()
              ? null
              : new Message.Close(ErrorCode.SHUTDOWN, "module gave up: " + e.reason()));
      throw e;
    }
    life.markStarted();
    return client;
  }

  /** The reading side, for tests that check who read the answers. */
  ResponseReader responses() {
    return responses;
  }

  // ------------------------------------------------------------------ public API

  @Override
  public ModuleContext context() {
    return handshake.context();
  }

  @Override
  public JsonNode config() {
    return events.config();
  }

  @Override
  public NodeApi api() {
    return api;
  }

  @Override
  public void log(Message.LogLevel level, String message) {
    log.send(level, message);
  }

  @Override
  public boolean isOpen() {
    return !life.isClosed();
  }

  @Override
  public boolean awaitShutdown(Duration timeout) throws InterruptedException {
    return life.awaitShutdown(timeout);
  }

  @Override
  public void awaitShutdown() throws InterruptedException {
    life.awaitShutdown();
  }

  @Override
  public Optional<ErrorValue> closeReason() {
    return Optional.ofNullable(life.closeReason());
  }

  @Override
  public void close() {
    shutdown(
        ErrorValue.of(ErrorCode.SHUTDOWN, "closed by the module"),
        new Message.Close(ErrorCode.SHUTDOWN, "module closed the connection"));
  }

  // ------------------------------------------------------------------ routing (read lock held)

  @Override
  public boolean route(byte[] payload) throws ProtocolException {
    // an event with a typed handler is read straight into its record when the bytes allow
    EventDecoder.Decoded direct = welcomed ? codec.events().decode(payload, payloadTypes) : null;
    Message m = direct != null ? direct.event() : codec.decode(payload);
    String violation = handOverDescriptors(m);
    if (violation == null && direct != null) {
      events.arrived(direct.event(), direct.value());
      return true;
    }
    if (violation == null && m instanceof Message.Close c) {
      failed(ErrorValue.of(c.code(), c.message()), false, ModuleConnectException.Reason.REJECTED);
      return false;
    }
    if (violation == null && !welcomed) {
      violation = handshake.accept(m);
      welcomed = violation == null;
      if (welcomed) {
        events.welcomed(handshake.context()); // before the next frame, maybe a ConfigLoaded
      }
    } else if (violation == null) {
      violation = dispatch(m);
    }
    if (violation != null) {
      failed(
          ErrorValue.of(ErrorCode.PROTOCOL_ERROR, violation),
          true,
          ModuleConnectException.Reason.PROTOCOL);
      return false;
    }
    return true;
  }

  /**
   * The descriptors that came with {@code m} (docs/protocol.md §2.5), before the answer is
   * completed: see {@link DescriptorHandOver}.
   *
   * @return a protocol violation, or null
   */
  private String handOverDescriptors(Message m) {
    return DescriptorHandOver.handOver(
        m, responses.takeDescriptors(), calls::awaitsDescriptor, calls::offerDescriptor);
  }

  @Override
  public void passEnded() {
    events.handOver();
  }

  /** Routes one message after the welcome; returns a protocol violation or null. */
  private String dispatch(Message m) {
    if (m instanceof Message.Response r) {
      responses.answerRouted();
      CompletableFuture<Message.Response> answer = calls.take(r.id());
      if (answer != null) {
        events.handOver(); // events that came before the answer are queued before the caller runs
        answer.complete(r);
      } // else: the caller gave up already; a late answer is dropped
      return null;
    }
    if (m instanceof Message.Event e) {
      events.arrived(e, null);
      return null;
    }
    if (m instanceof Message.Invoke i) {
      events.handOver();
      invokes.submit(i);
      return null;
    }
    return "the node sent a " + m.kind() + " message, which is not allowed after the welcome";
  }

  // ------------------------------------------------------------------ closing

  /**
   * The connection failed: fails a pending handshake, tells the node why when it is at fault (or
   * the SDK is), and shuts down.
   */
  @Override
  public void failed(
      ErrorValue reason, boolean tellNode, ModuleConnectException.Reason handshakeFailure) {
    handshake.fail(Handshake.failure(reason, handshakeFailure));
    // close codes are PROTOCOL_ERROR for the node's violations, SHUTDOWN for the SDK's own failure
    ErrorCode closeCode =
        reason.code() == ErrorCode.PROTOCOL_ERROR ? ErrorCode.PROTOCOL_ERROR : ErrorCode.SHUTDOWN;
    shutdown(reason, tellNode ? new Message.Close(closeCode, reason.message()) : null);
  }

  /**
   * Closes everything once: optionally sends a last close message, closes the socket, fails waiting
   * calls with UNAVAILABLE, stops the event and invoke threads, releases awaitShutdown.
   */
  private void shutdown(ErrorValue reason, Message.Close last) {
    if (!life.beginClose(reason)) {
      return;
    }
    if (last != null) {
      channel.sendLast(last);
    }
    channel.close();
    responses.wake();
    calls.failAll();
    handshake.fail(
        new ModuleConnectException(
            ModuleConnectException.Reason.IO,
            "connection closed: " + reason.code() + ": " + reason.message()));
    life.markStarted();
    events.stop();
    invokes.shutdown();
    life.markShutDown();
  }
}
