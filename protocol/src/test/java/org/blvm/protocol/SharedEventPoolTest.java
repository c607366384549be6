package org.blvm.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.TextNode;
import java.io.ByteArrayOutputStream;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@link SharedEventPool} and the counting of a pooled {@link SharedEvent}. */
class SharedEventPoolTest {
  private final Codec codec = Codec.withDefaults();
  private final SharedEventPool pool = new SharedEventPool();

  @ParameterizedTest
  @ValueSource(
      longs = {1, 23, 24, 255, 256, 65_535, 65_536, 4_294_967_295L, 4_294_967_296L, Long.MAX_VALUE})
  void pooledEvent_everyPayloadSample_framesByteIdenticalToTheUnpooledEncoding(long seq)
      throws Exception {
    byte[] scratch = new byte[DirectEncoder.MAX_EVENT_HEADER_BYTES];
    for (Map.Entry<Class<?>, Object> sample : Samples.all().entrySet()) {
      String type = sample.getKey().getSimpleName();
      SharedEvent plain = codec.encodeShared(type, null, sample.getValue());
      // twice: the second time the buffer comes back from the pool with the first's bytes in it
      for (int round = 0; round < 2; round++) {
        SharedEvent pooled = codec.encodeShared(type, null, sample.getValue(), pool);
        assertArrayEquals(codec.eventFrame(plain, seq), codec.eventFrame(pooled, seq), type);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        codec.direct().writeEventFrame(out, pooled, seq, scratch);
        assertArrayEquals(codec.eventFrame(plain, seq), out.toByteArray(), type);
        assertEquals(plain.tailLength(), pooled.tailLength());
        assertEquals(type, pooled.type());
        pooled.release();
      }
    }
  }

  @Test
  void lastRelease_returnsTheEventToThePool_andTheNextTakeReusesIt() {
    SharedEvent a = codec.encodeShared("A", null, TextNode.valueOf("first"), pool);
    assertTrue(a.pooled());
    a.retain(); // a queue
    a.retain(); // another queue
    a.release(); // the fan-out's own count
    assertEquals(2, a.holders());
    assertEquals(0, pool.free(a.tailLength()));
    a.release();
    assertEquals(0, pool.free(a.tailLength()), "one holder left: not back yet");
    a.release();
    assertEquals(1, pool.free(a.tailLength()));
    SharedEvent b = codec.encodeShared("B", null, TextNode.valueOf("second"), pool);
    assertSame(a, b, "the free event is taken again");
    assertEquals("B", b.type());
    assertEquals(1, b.holders());
    assertEquals(1, pool.created());
  }

  @Test
  void releaseAfterTheLast_andRetainAfterTheLast_fail() {
    SharedEvent a = codec.encodeShared("A", null, TextNode.valueOf("x"), pool);
    a.release();
    assertThrows(IllegalStateException.class, a::retain);
    SharedEvent b = codec.encodeShared("B", null, TextNode.valueOf("y"), new SharedEventPool());
    b.release();
    assertThrows(IllegalStateException.class, b::release);
  }

  @Test
  void unpooledEvent_ignoresCounting_andIsItsOwnStableCopy() {
    SharedEvent plain = codec.encodeShared("A", null, TextNode.valueOf("x"));
    assertFalse(plain.pooled());
    plain.retain();
    plain.release();
    plain.release();
    assertSame(plain, plain.stable());
  }

  @Test
  void stable_ofAPooledEvent_keepsItsBytesAfterTheBufferIsReused() {
    SharedEvent a = codec.encodeShared("A", null, TextNode.valueOf("first"), pool);
    SharedEvent kept = a.stable();
    assertNotSame(a, kept);
    assertFalse(kept.pooled());
    byte[] before = codec.eventFrame(a, 7);
    a.release();
    SharedEvent b = codec.encodeShared("A", null, TextNode.valueOf("other"), pool);
    assertSame(a, b);
    assertArrayEquals(before, codec.eventFrame(kept, 7));
  }

  @Test
  void sizeClasses_powersOfTwoFrom256To16KiB_largerIsNotPooled() {
    assertEquals(0, SharedEventPool.sizeClass(1));
    assertEquals(0, SharedEventPool.sizeClass(256));
    assertEquals(1, SharedEventPool.sizeClass(257));
    assertEquals(1, SharedEventPool.sizeClass(512));
    assertEquals(6, SharedEventPool.sizeClass(16 * 1024));
    assertEquals(-1, SharedEventPool.sizeClass(16 * 1024 + 1));
    SharedEvent big = codec.encodeShared("A", null, TextNode.valueOf("x".repeat(20_000)), pool);
    assertFalse(big.pooled());
    assertEquals(0, pool.created());
  }

  @Test
  void freeEvents_boundedPerSizeClass() {
    int bound = SharedEventPool.MAX_FREE_BYTES / 256;
    SharedEvent[] held = new SharedEvent[bound + 10];
    for (int i = 0; i < held.length; i++) {
      held[i] = codec.encodeShared("A", null, TextNode.valueOf("x"), pool);
    }
    for (SharedEvent e : held) {
      e.release();
    }
    assertEquals(bound, pool.free(1), "the rest is left to the collector");
  }
}
