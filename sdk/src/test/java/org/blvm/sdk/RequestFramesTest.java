package org.blvm.sdk;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.blvm.protocol.Api;
import org.blvm.protocol.Codec;
import org.blvm.protocol.Frames;
import org.blvm.protocol.Message;
import org.junit.jupiter.api.Test;

/** A request encoded without a tree is byte for byte the request encoded through its tree. */
class RequestFramesTest {
  private final Codec codec = Codec.withDefaults();
  private final RequestFrames frames = new RequestFrames(codec);

  private byte[] throughTree(long id, String method, Object params) {
    JsonNode tree = params == null ? null : params instanceof JsonNode j ? j : codec.toTree(params);
    return Frames.frame(codec.encode(new Message.Request(id, method, tree)));
  }

  private void same(long id, String method, Object params) {
    assertArrayEquals(
        throughTree(id, method, params),
        frames.frame(id, method, params),
        "id " + id + ", method " + method + ", params " + params);
  }

  @Test
  void everyHeadSize_ofTheId_andTheMethodsLength() {
    long[] ids = {
      0, 1, 23, 24, 255, 256, 65_535, 65_536, 0xFFFF_FFFFL, 0x1_0000_0000L, Long.MAX_VALUE
    };
    String[] methods = {"", "get_chain_tip", "x".repeat(23), "y".repeat(24), "z".repeat(300)};
    for (long id : ids) {
      for (String m : methods) {
        same(id, m, new Api.NoParams());
      }
    }
  }

  @Test
  void aMethodNameThatIsNotAscii_isWrittenAsUtf8() {
    same(7, "m\u00e9thode", null);
    same(7, "\u65b9\u6cd5\ud83d\ude00", new Api.NoParams());
  }

  @Test
  void params_none_aTree_andTypedValues() {
    ObjectNode tree = JsonNodeFactory.instance.objectNode();
    tree.put("a", 1).put("b", "two").putArray("c").add(3.5).add(false).addNull();
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put("pool", "main");
    List<Object> params = new ArrayList<>();
    params.add(null);
    params.add(tree);
    params.add(JsonNodeFactory.instance.nullNode());
    params.add(new Api.NoParams());
    params.add(new Api.Empty());
    params.add(new Api.HeightParams(840_000));
    params.add(new Api.HashParams("00".repeat(32)));
    params.add(new Api.UtxoParams("ab".repeat(32), 3));
    params.add(new Api.SubscribeParams(List.of("NewBlock", "MempoolTransactionAdded")));
    params.add(new Api.MetricParams("shares", 12.5, labels));
    params.add(new Api.PublishEventParams("bench.result", tree));
    params.add(new Api.CallModuleParams("other", "ping", null));
    params.add(Map.of("k", List.of(1, 2)));
    for (Object p : params) {
      same(42, "some_method", p);
    }
  }

  @Test
  void aRecordWithoutComponents_isEncodedOnce_andThenReused() {
    byte[] first = frames.frame(1, "get_chain_tip", new Api.NoParams());
    byte[] second = frames.frame(2, "get_chain_tip", new Api.NoParams());
    assertEquals(first.length, second.length);
    assertEquals((byte) 0xA0, second[second.length - 1], "an empty map");
    same(3, "get_chain_tip", new Api.NoParams());
  }

  @Test
  void aNegativeId_isRefused() {
    assertThrows(IllegalArgumentException.class, () -> frames.frame(-1, "m", null));
  }
}
