package org.blvm.sdk;

import static org.blvm.sdk.TestClients.builder;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import org.blvm.protocol.Api;
import org.blvm.protocol.Message;
import org.blvm.protocol.NodeMethod;
import org.blvm.testsupport.FakeNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Typed params go on the wire as their tree would; params that cannot be encoded send nothing. */
@Timeout(30)
final class RequestParamsTest {
  private static final Duration WAIT = Duration.ofSeconds(5);

  @TempDir Path tmp;
  private FakeNode node;
  private ModuleClient client;

  @BeforeEach
  void startNode() throws Exception {
    node = FakeNode.start(tmp);
  }

  @AfterEach
  void stopAll() throws Exception {
    if (client != null) {
      client.close();
    }
    node.close();
  }

  /** A bean whose property cannot be read: Jackson cannot encode it, directly or as a tree. */
  public static final class Unreadable {
    public int getValue() {
      throw new IllegalStateException("not readable");
    }
  }

  @Test
  void paramsThatCannotBeEncoded_failTheCallBeforeAnythingIsSent_andTheClientStaysUsable()
      throws Exception {
    node.respondWith(
        r ->
            r.method().equals("get_block_hash")
                ? Message.Response.ok(
                    r.id(), FakeNode.CODEC.toTree(new Api.BlockHash("00".repeat(32))))
                : null);
    client = builder(node).connect();

    assertThrows(
        RuntimeException.class,
        () -> client.api().call(NodeMethod.GET_BLOCK_HASH, new Unreadable()));
    assertEquals("00".repeat(32), client.api().getBlockHash(5));

    Message.Request sent = nextRequest();
    assertEquals("get_block_hash", sent.method(), "the refused call sent nothing");
    JsonNode params = sent.params();
    assertEquals(1, params.size(), params.toString());
    assertEquals(5, params.get("height").asLong(), params.toString());
  }

  private Message.Request nextRequest() throws InterruptedException {
    while (true) {
      Message.Request r = node.nextOf(Message.Request.class, WAIT);
      if (!r.method().equals("ready")) {
        return r;
      }
    }
  }
}
