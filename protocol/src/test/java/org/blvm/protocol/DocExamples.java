package org.blvm.protocol;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The worked examples of docs/protocol.md, built with the real encoder. {@link
 * ProtocolDocExamplesTest} checks that each hex dump in the doc is exactly these bytes.
 */
final class DocExamples {
  static final String TOKEN = "8f14e45fceea167a";
  static final String TIP = "00000000000000000001a0f3c6e4b6c2d9b0f8e7a6c5d4e3f2a1b0c9d8e7f6a5";
  static final String PREV = "00000000000000000002b1e4d7f5c7d3e0c1f9f8b7d6e5f4e3b2c1d0e9f8a7b6";

  private DocExamples() {}

  /** The messages of the examples, by marker name; event_new_block is the decoded event. */
  static Map<String, Message> messages() {
    Codec c = Codec.withDefaults();
    Map<String, Message> m = new LinkedHashMap<>();
    m.put("hello", new Message.Hello(List.of(1), TOKEN));
    ObjectNode config = JsonNodeFactory.instance.objectNode().put("min_amount_sats", 1000);
    m.put(
        "welcome",
        new Message.Welcome(
            1,
            new ModuleContext(
                "lightning",
                config,
                "/data",
                "/run/blvm/module.sock",
                List.of(Capability.READ_BLOCKCHAIN, Capability.SUBSCRIBE_EVENTS))));
    m.put("request_get_chain_tip", new Message.Request(1, "get_chain_tip", null));
    m.put(
        "response_get_chain_tip", Message.Response.ok(1, c.toTree(new Api.ChainTip(TIP, 840_000))));
    m.put(
        "response_not_capable",
        Message.Response.error(
            2,
            ErrorValue.notCapable(Capability.READ_MEMPOOL, "get_mempool_size needs read_mempool")));
    m.put("event_new_block", new Message.Event(1, "NewBlock", null, c.toTree(newBlock())));
    return m;
  }

  static EventPayloads.NewBlock newBlock() {
    return new EventPayloads.NewBlock(TIP, 840_000, PREV, 1_713_571_767L, 3_050);
  }

  /** The frames (length prefix + payload) of the examples, by marker name. */
  static Map<String, byte[]> frames() {
    Codec c = Codec.withDefaults();
    Map<String, byte[]> f = new LinkedHashMap<>();
    for (Map.Entry<String, Message> e : messages().entrySet()) {
      if (e.getKey().equals("event_new_block")) {
        SharedEvent shared = c.encodeShared("NewBlock", null, c.toTree(newBlock()));
        f.put(e.getKey(), c.eventFrame(shared, 1));
      } else {
        f.put(e.getKey(), c.encodeFrame(e.getValue()));
      }
    }
    return f;
  }
}
