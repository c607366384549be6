package org.blvm.loader;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.blvm.protocol.Api;
import org.blvm.protocol.Message;

/** The modules a {@link Dispatcher} routes {@code call_module} and {@code discover_modules} to. */
interface ModuleDirectory {
  /** The session of the loaded module {@code id}, if there is one. */
  Optional<Session> session(String id);

  /**
   * Invokes {@code method} on module {@code target} on behalf of {@code caller}; completes with the
   * target's answer, or an error (not running, timeout, disconnected).
   */
  CompletableFuture<Message.Response> invoke(
      String target, String method, JsonNode params, String caller);

  /**
   * Whether {@code id} is started on demand and does not run now: calls go to {@link
   * #callOnDemand}.
   */
  default boolean startsOnDemand(String id) {
    return false;
  }

  /**
   * A call to a module started on demand: invoked once it runs; UNAVAILABLE when it cannot start
   * within the call timeout; UNKNOWN_METHOD when its manifest does not provide {@code method}.
   */
  default CompletableFuture<Message.Response> callOnDemand(
      String target, String method, JsonNode params, String caller) {
    throw new UnsupportedOperationException("no module starts on demand here");
  }

  /** Every loaded module, for {@code discover_modules}. */
  List<Api.ModuleInfo> moduleInfos();
}
