package org.blvm.sdk;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.NullNode;
import java.io.IOException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.blvm.protocol.ErrorCode;
import org.blvm.protocol.ErrorValue;
import org.blvm.protocol.Message;

/**
 * Runs the node's invokes on a small pool ({@code blvm-sdk-invoke-N}): served methods, answered
 * with their result or an error, and the lifecycle {@code stop}, which runs the stop hook, answers
 * and then closes the client. At most {@link #QUEUE} invokes wait for a thread; beyond that they
 * are answered {@code UNAVAILABLE} at once. Invokes run only after connect has returned.
 */
final class InvokeRunner {
  /** Most invokes waiting for a thread of the pool. */
  static final int QUEUE = 256;

  private final ClientConfig config;
  private final NodeChannel channel;
  private final Lifecycle life;
  private final ModuleLog log;

  /** Closes the client after a stop from the node was answered. */
  private final Runnable stopped;

  private final ThreadPoolExecutor pool;

  InvokeRunner(
      ClientConfig config, NodeChannel channel, Lifecycle life, ModuleLog log, Runnable stopped) {
    this.config = config;
    this.channel = channel;
    this.life = life;
    this.log = log;
    this.stopped = stopped;
    AtomicInteger threadIds = new AtomicInteger();
    this.pool =
        new ThreadPoolExecutor(
            config.invokeThreads(),
            config.invokeThreads(),
            30,
            TimeUnit.SECONDS,
            new ArrayBlockingQueue<>(QUEUE),
            r -> {
              Thread t = new Thread(r, "blvm-sdk-invoke-" + threadIds.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    this.pool.allowCoreThreadTimeOut(true);
  }

  /** Runs the invoke on the pool, or answers {@code UNAVAILABLE} when too many wait. */
  void submit(Message.Invoke i) {
    try {
      pool.execute(() -> run(i));
    } catch (RejectedExecutionException e) {
      if (!life.isClosed()) {
        respond(
            Message.Response.error(
                i.id(),
                ErrorValue.of(
                    ErrorCode.UNAVAILABLE, "module is busy: " + QUEUE + " calls already waiting")));
      }
    }
  }

  /** No further invokes run; those running finish. */
  void shutdown() {
    pool.shutdown();
  }

  private void run(Message.Invoke i) {
    try {
      life.awaitStarted();
    } catch (InterruptedException e) {
      return;
    }
    if (life.isClosed()) {
      return;
    }
    if (i.caller() == null && ModuleClient.STOP_METHOD.equals(i.method())) {
      runStop(i);
      return;
    }
    ModuleClient.MethodHandler handler = config.methods().get(i.method());
    if (handler == null) {
      respond(
          Message.Response.error(
              i.id(),
              ErrorValue.of(
                  ErrorCode.UNKNOWN_METHOD,
                  "this module does not serve \""
                      + i.method()
                      + "\"; it serves "
                      + config.methods().keySet())));
      return;
    }
    Message.Response response;
    try {
      JsonNode result = handler.handle(i.caller(), i.params());
      response = Message.Response.ok(i.id(), result == null ? NullNode.getInstance() : result);
    } catch (MethodRefusedException e) {
      response = Message.Response.error(i.id(), ErrorValue.of(e.code(), e.getMessage()));
    } catch (Exception | StackOverflowError e) {
      log.report("served method \"" + i.method() + "\" failed", e);
      response =
          Message.Response.error(
              i.id(),
              ErrorValue.of(ErrorCode.INTERNAL, "method \"" + i.method() + "\" failed: " + e));
    }
    if (!respond(response)) {
      respond(
          Message.Response.error(
              i.id(),
              ErrorValue.of(
                  ErrorCode.INTERNAL, "the result of \"" + i.method() + "\" is too large")));
    }
  }

  private void runStop(Message.Invoke i) {
    try {
      config.onStop().onStop();
    } catch (Exception | StackOverflowError e) {
      log.report("stop hook failed", e);
    }
    respond(Message.Response.ok(i.id(), JsonNodeFactory.instance.objectNode()));
    stopped.run();
  }

  /** Sends an invoke's response; false when it is too large to send. */
  private boolean respond(Message.Response r) {
    try {
      channel.send(r);
    } catch (NodeChannel.FrameTooLargeException e) {
      return false;
    } catch (IOException e) {
      // the reader notices the broken connection and closes
    }
    return true;
  }
}
