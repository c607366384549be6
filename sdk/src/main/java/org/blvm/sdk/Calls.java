package org.blvm.sdk;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.FileDescriptor;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.blvm.protocol.ErrorCode;
import org.blvm.protocol.ErrorValue;
import org.blvm.protocol.Message;

/**
 * NodeAPI requests and their answers: each call gets the next id and a future, sends its request
 * and waits for the response within the request timeout, reading it itself or waiting for whoever
 * reads ({@link ResponseReader#await}). An answer that comes after its call gave up is dropped.
 */
final class Calls {
  private final AtomicLong ids = new AtomicLong(1);
  private final Map<Long, CompletableFuture<Message.Response>> pending = new ConcurrentHashMap<>();

  /** A call waiting for a descriptor, before the router offered one. */
  private static final FileDescriptor[] NONE_YET = new FileDescriptor[0];

  /** Calls whose answer carries a descriptor: NONE_YET, then the one the router offered. */
  private final Map<Long, FileDescriptor[]> descriptors = new ConcurrentHashMap<>();

  /** The result of a call whose answer carried a descriptor, which the caller now owns. */
  record WithDescriptor(JsonNode result, FileDescriptor descriptor) {}

  private final NodeChannel channel;
  private final ResponseReader reader;
  private final Lifecycle life;
  private final Duration timeout;

  Calls(NodeChannel channel, ResponseReader reader, Lifecycle life, Duration timeout) {
    this.channel = channel;
    this.reader = reader;
    this.life = life;
    this.timeout = timeout;
  }

  /**
   * Sends one request and waits for its response within the request timeout.
   *
   * @return the result of a successful response
   * @throws NodeApiException with the node's error, or {@code TIMEOUT}, {@code UNAVAILABLE}
   *     (closed, broken or interrupted) or {@code INVALID_PARAMS} (the request exceeds a frame)
   */
  JsonNode call(String method, Object params) throws NodeApiException {
    return call(ids.getAndIncrement(), method, params);
  }

  /**
   * A call whose successful answer carries exactly one descriptor (net_connect, net_listen;
   * docs/protocol.md §2.5).
   *
   * @throws NodeApiException as {@link #call}, or {@code INTERNAL} when the answer came without its
   *     descriptor
   */
  WithDescriptor callForDescriptor(String method, Object params) throws NodeApiException {
    long id = ids.getAndIncrement();
    descriptors.put(id, NONE_YET);
    JsonNode result;
    try {
      result = call(id, method, params);
    } catch (NodeApiException e) {
      IncomingFrames.closeAll(descriptors.remove(id)); // one that came with a late answer
      throw e;
    }
    FileDescriptor[] got = descriptors.remove(id);
    if (got == null || got.length == 0) {
      throw new NodeApiException(
          method,
          ErrorValue.of(
              ErrorCode.INTERNAL, "the node's answer to " + method + " carried no descriptor"));
    }
    return new WithDescriptor(result, got[0]);
  }

  /** Whether the call {@code id} waits for an answer carrying a descriptor. */
  boolean awaitsDescriptor(long id) {
    return !descriptors.isEmpty() && descriptors.get(id) == NONE_YET;
  }

  /**
   * Called by the router before it completes the answer {@code id}: true when that call waits for a
   * descriptor and now owns {@code fd}; false when the caller must close it.
   */
  boolean offerDescriptor(long id, FileDescriptor fd) {
    return descriptors.replace(id, NONE_YET, new FileDescriptor[] {fd});
  }

  /**
   * @param params a tree, a typed value (a record, a list, a map) or null; encoded before the call
   *     is registered, so params that cannot be encoded fail the call with nothing left behind
   */
  private JsonNode call(long id, String method, Object params) throws NodeApiException {
    if (life.isClosed()) {
      throw unavailable(method);
    }
    byte[] request = channel.requestFrame(id, method, params);
    CompletableFuture<Message.Response> answer = new CompletableFuture<>();
    pending.put(id, answer);
    if (life.isClosed()) { // the shutdown may have failed the pending calls before the put
      pending.remove(id);
      throw unavailable(method);
    }
    boolean alone = reader.callStarted();
    try {
      return awaitAnswer(method, id, request, answer, alone);
    } finally {
      reader.callEnded(alone);
    }
  }

  private JsonNode awaitAnswer(
      String method,
      long id,
      byte[] request,
      CompletableFuture<Message.Response> answer,
      boolean alone)
      throws NodeApiException {
    long deadline = System.nanoTime() + timeout.toNanos();
    long sent;
    try {
      sent = channel.sendFrame(request, "request");
    } catch (NodeChannel.FrameTooLargeException e) {
      pending.remove(id);
      throw new NodeApiException(method, ErrorValue.of(ErrorCode.INVALID_PARAMS, e.getMessage()));
    } catch (IOException e) {
      pending.remove(id);
      throw new NodeApiException(
          method, ErrorValue.of(ErrorCode.UNAVAILABLE, "cannot send the request: " + e));
    }
    Message.Response response;
    try {
      reader.await(answer, deadline, alone);
      response = answer.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      channel.nodeReadUpTo(sent); // answered, so read
    } catch (TimeoutException e) {
      pending.remove(id);
      throw new NodeApiException(
          method,
          ErrorValue.of(
              ErrorCode.TIMEOUT,
              "no response to request " + id + " within " + timeout.toMillis() + " ms"));
    } catch (ExecutionException e) {
      throw unavailable(method);
    } catch (InterruptedException e) {
      pending.remove(id);
      Thread.currentThread().interrupt();
      throw new NodeApiException(
          method, ErrorValue.of(ErrorCode.UNAVAILABLE, "interrupted while waiting for the node"));
    }
    if (response.error() != null) {
      throw new NodeApiException(method, response.error());
    }
    return response.result();
  }

  /** The waiting call with this id, no longer pending; null when none waits (it gave up). */
  CompletableFuture<Message.Response> take(long id) {
    return pending.remove(id);
  }

  /** Fails every waiting call: the connection is closed. */
  void failAll() {
    for (Long id : new ArrayList<>(pending.keySet())) {
      CompletableFuture<Message.Response> f = pending.remove(id);
      if (f != null) {
        f.completeExceptionally(new IOException("connection closed"));
      }
    }
  }

  private NodeApiException unavailable(String method) {
    ErrorValue why = life.closeReason();
    return new NodeApiException(
        method,
        ErrorValue.of(
            ErrorCode.UNAVAILABLE,
            "the connection to the node is closed"
                + (why == null ? "" : " (" + why.code() + ": " + why.message() + ")")));
  }
}
