package org.blvm.sdk;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/** The sealed settings of one client, as collected by {@link ModuleClient.Builder}. */
record ClientConfig(
    Path socket,
    String token,
    Map<String, Subscription> subscriptions,
    Map<String, ModuleClient.MethodHandler> methods,
    ModuleClient.StopHandler onStop,
    Duration requestTimeout,
    Duration handshakeTimeout,
    int eventQueueCapacity,
    int invokeThreads) {

  ClientConfig {
    // keep registration order: it is the order of the subscribe and register lists on the wire
    subscriptions = Collections.unmodifiableMap(new LinkedHashMap<>(subscriptions));
    methods = Collections.unmodifiableMap(new LinkedHashMap<>(methods));
  }

  @Override
  public String toString() {
    // never print the token
    return "ClientConfig[socket=" + socket + ", events=" + subscriptions.keySet() + "]";
  }
}
