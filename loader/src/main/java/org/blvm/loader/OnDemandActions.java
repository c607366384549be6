package org.blvm.loader;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.concurrent.CompletableFuture;
import org.blvm.protocol.Message;
import org.blvm.protocol.SharedEvent;

/** What an {@link OnDemandStarter} does to modules; the loader's is {@link OnDemandLaunches}. */
interface OnDemandActions {
  /** Launches the module (its pinned copy, rechecked); returns its status. Does I/O. */
  ModuleStatus launch(String id);

  /** Stops the module gracefully (bounded); returns after its final state. */
  void stop(String id, String why);

  /** Takes the ended launch out of the registry and shows the module IDLE with {@code detail}. */
  void park(String id, String detail);

  /** Delivers an event to the running module if it subscribed to its type. */
  void deliver(String id, SharedEvent event);

  /** Tells the running module that {@code n} events were dropped before it could get them. */
  void missed(String id, long n);

  /** Invokes a method on the running module. */
  CompletableFuture<Message.Response> invoke(
      String id, String method, JsonNode params, String caller);

  /** Events sent to the module so far (across launches). */
  long eventsSent(String id);

  /** Runs {@code task} on the relay thread after the fan-outs queued before it. */
  void afterQueuedEvents(Runnable task);

  /** Runs {@code task} on a thread of its own named {@code blvm-<id>-ondemand}. */
  void spawn(String id, Runnable task);
}
