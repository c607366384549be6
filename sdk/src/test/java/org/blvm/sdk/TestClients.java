package org.blvm.sdk;

import java.time.Duration;
import java.util.Map;
import org.blvm.testsupport.FakeNode;

/** Client builders for tests against a {@link FakeNode}. */
final class TestClients {
  private TestClients() {}

  /** A builder for {@code node}'s socket and token, with 5 s deadlines and no environment. */
  static ModuleClient.Builder builder(FakeNode node) {
    return new ModuleClient.Builder(Map.of(), new String[0])
        .socket(node.socket())
        .token(FakeNode.TOKEN)
        .handshakeTimeout(Duration.ofSeconds(5))
        .requestTimeout(Duration.ofSeconds(5));
  }
}
