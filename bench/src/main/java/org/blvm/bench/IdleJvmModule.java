package org.blvm.bench;

import org.blvm.sdk.ModuleClient;

/**
 * The JVM module of the cold-start benchmark: connects through the SDK, then waits to be told to
 * stop.
 */
public final class IdleJvmModule {
  private IdleJvmModule() {}

  public static void main(String[] args) throws Exception {
    try (ModuleClient client = ModuleClient.builder(args).connect()) {
      client.awaitShutdown();
    }
  }
}
