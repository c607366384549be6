package org.blvm.sdk;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.blvm.protocol.Api;
import org.blvm.protocol.Capability;
import org.blvm.protocol.Codec;
import org.blvm.protocol.ErrorCode;
import org.blvm.protocol.ErrorValue;
import org.blvm.protocol.EventPayloads;
import org.blvm.protocol.EventType;
import org.blvm.protocol.Frames;
import org.blvm.protocol.Message;
import org.blvm.protocol.ModuleContext;
import org.blvm.protocol.NodeMethod;
import org.blvm.protocol.ProtocolException;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Coverage-guided fuzz target (Jazzer) for what a module reads from the node: the SDK's
 * non-blocking frame reader ({@link IncomingFrames}) fed by short and empty reads, the codec's
 * decoding of each frame, and the typed conversions the SDK then makes (an event's payload to its
 * catalog record, a response's result to the result type of a NodeAPI method). Invariants:
 *
 * <ul>
 *   <li>only {@link ProtocolException} escapes, with a reason and a message;
 *   <li>{@link IncomingFrames} cuts exactly the frames {@link Frames#read} cuts from the same
 *       bytes, and refuses where and why it does, however the bytes arrive;
 *   <li>the reader allocates at most its buffer for one frame (bounded by the frame limit) beyond
 *       what is proportional to the bytes it received.
 * </ul>
 *
 * Regression inputs: {@code src/test/resources/org/blvm/sdk/IncomingFramesFuzzTestInputs/frames/};
 * {@code fuzz/run} fuzzes it with libFuzzer's limit of 1 s per input.
 */
final class IncomingFramesFuzzTest {
  private static final Codec CODEC = Codec.withDefaults();

  /** Above the reader's initial 64 KiB buffer, so that claimed lengths make it grow. */
  private static final int MAX = 128 * 1024;

  /** Heap bytes per received byte, and whatever the input (exceptions, small buffers). */
  private static final long PER_BYTE = 128;

  private static final long FIXED = 256 * 1024;

  /** The reader's own buffer: the initial 64 KiB, then at most one frame. */
  private static final long BUFFERS = 64 * 1024 + Frames.HEADER_BYTES + MAX;

  /**
   * The first byte shapes the reads: bits 0-3 the most bytes one read returns ({@code 1 << bits}),
   * bit 4 set makes every other read find nothing. The rest is the stream from the node.
   */
  @MethodSource("seeds")
  @FuzzTest
  void frames(byte[] input) {
    if (input.length == 0) {
      return;
    }
    int chunk = 1 << (input[0] & 0x0F);
    boolean emptyReads = (input[0] & 0x10) != 0;
    byte[] stream = Arrays.copyOfRange(input, 1, input.length);

    long bound = FIXED + BUFFERS + PER_BYTE * stream.length;
    long used = allocatedBy(() -> read(stream, chunk, emptyReads));
    if (used > bound) {
      used = allocatedBy(() -> read(stream, chunk, emptyReads)); // the first run loads classes
    }
    assertTrue(used <= bound, "read " + stream.length + " bytes allocating " + used);

    Outcome sdk = read(stream, chunk, emptyReads);
    Outcome loader = readWithFrames(stream);
    assertEquals(loader.payloads.size(), sdk.payloads.size(), "frames cut");
    for (int i = 0; i < sdk.payloads.size(); i++) {
      assertArrayEquals(loader.payloads.get(i), sdk.payloads.get(i), "frame " + i);
    }
    assertEquals(
        Optional.ofNullable(loader.refused).map(ProtocolException::reason),
        Optional.ofNullable(sdk.refused).map(ProtocolException::reason),
        "refusal");
    if (sdk.refused != null) {
      checkException(sdk.refused);
    }
    for (byte[] payload : sdk.payloads) {
      decodeAsTheSdkDoes(payload);
    }
  }

  static Stream<byte[]> seeds() {
    JsonNode config = JsonNodeFactory.instance.objectNode().put("port", 8332);
    List<Message> messages =
        List.of(
            new Message.Welcome(
                1,
                new ModuleContext(
                    "fee-watch",
                    config,
                    "/var/lib/blvm/fee-watch",
                    "/run/blvm/module.sock",
                    List.of(Capability.READ_BLOCKCHAIN, Capability.SUBSCRIBE_EVENTS))),
            Message.Response.ok(
                NodeMethod.GET_CHAIN_TIP.ordinal(),
                CODEC.toTree(new Api.ChainTip("00".repeat(32), 840_000))),
            Message.Response.ok(
                NodeMethod.SUBSCRIBE_EVENTS.ordinal(),
                CODEC.toTree(new Api.Subscribed(List.of("NewBlock")))),
            Message.Response.error(3, ErrorValue.of(ErrorCode.NOT_FOUND, "no such block")),
            new Message.Event(
                1,
                "NewBlock",
                null,
                CODEC.toTree(
                    new EventPayloads.NewBlock("11".repeat(32), 1, "22".repeat(32), 17, 250))),
            new Message.Event(
                2,
                "ConfigLoaded",
                null,
                CODEC.toTree(new EventPayloads.ConfigLoaded(List.of("rpc"), "{\"rpc\":{}}"))),
            new Message.Event(3, "lightning.invoice_paid", "lightning", config),
            new Message.Invoke(
                4, "stop", JsonNodeFactory.instance.objectNode().put("grace_ms", 5000), null),
            new Message.Close(ErrorCode.SHUTDOWN, "node stopping"));
    List<byte[]> seeds = new ArrayList<>();
    for (int shape : new int[] {0x0F, 0x12, 0x03}) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      out.write(shape);
      for (Message m : messages) {
        out.writeBytes(CODEC.encodeFrame(m));
      }
      seeds.add(out.toByteArray());
    }
    return seeds.stream();
  }

  // ------------------------------------------------------------------ reading

  private record Outcome(List<byte[]> payloads, ProtocolException refused) {}

  /** The SDK's reader loop: read what is there, take every complete frame, check the end. */
  private static Outcome read(byte[] stream, int chunk, boolean emptyReads) {
    IncomingFrames in = new IncomingFrames(MAX);
    ReadableByteChannel channel = new Trickle(stream, chunk, emptyReads);
    List<byte[]> payloads = new ArrayList<>();
    try {
      while (true) {
        for (byte[] p = in.next(); p != null; p = in.next()) {
          payloads.add(p);
        }
        if (in.readFrom(channel) < 0) {
          in.checkCleanEnd();
          return new Outcome(payloads, null);
        }
      }
    } catch (ProtocolException e) {
      return new Outcome(payloads, e);
    } catch (IOException e) {
      throw new AssertionError("an in-memory channel does not fail", e);
    }
  }

  /** The loader's reader on the same bytes, for comparison. */
  private static Outcome readWithFrames(byte[] stream) {
    ByteArrayInputStream in = new ByteArrayInputStream(stream);
    List<byte[]> payloads = new ArrayList<>();
    try {
      for (byte[] p = Frames.read(in, MAX); p != null; p = Frames.read(in, MAX)) {
        payloads.add(p);
      }
      return new Outcome(payloads, null);
    } catch (ProtocolException e) {
      return new Outcome(payloads, e);
    } catch (IOException e) {
      throw new AssertionError("a byte array stream does not fail", e);
    }
  }

  /**
   * Decodes one payload and converts what the SDK converts: a core event's payload to its record, a
   * response's result to the result type of the method its id names (ids index the catalog here).
   * The SDK reports a failed conversion as a malformed payload; it must be a ProtocolException.
   */
  private static void decodeAsTheSdkDoes(byte[] payload) {
    Message m;
    try {
      m = CODEC.decode(payload);
    } catch (ProtocolException e) {
      checkException(e);
      return;
    }
    assertNotNull(m);
    try {
      if (m instanceof Message.Event e && e.source() == null) {
        Optional<EventType> type = EventType.fromWire(e.type());
        if (type.isPresent()) {
          assertNotNull(CODEC.toValue(e.payload(), type.get().payloadType()));
        }
      } else if (m instanceof Message.Response r && r.result() != null) {
        NodeMethod method = NodeMethod.values()[(int) (r.id() % NodeMethod.values().length)];
        if (method.resultType().isPresent()) {
          assertNotNull(CODEC.toValue(r.result(), method.resultType().get()));
        }
      }
    } catch (ProtocolException e) {
      checkException(e);
      assertEquals(ProtocolException.Reason.BAD_FIELD, e.reason(), e.getMessage());
    }
  }

  private static void checkException(ProtocolException e) {
    assertNotNull(e.reason());
    if (e.getMessage() == null || e.getMessage().isBlank()) {
      fail("ProtocolException " + e.reason() + " without a message", e);
    }
  }

  /** Serves a byte array at most {@code chunk} bytes per read, optionally every other read none. */
  private static final class Trickle implements ReadableByteChannel {
    private final byte[] data;
    private final int chunk;
    private final boolean emptyReads;
    private int pos;
    private boolean skip;

    Trickle(byte[] data, int chunk, boolean emptyReads) {
      this.data = data;
      this.chunk = chunk;
      this.emptyReads = emptyReads;
    }

    @Override
    public int read(ByteBuffer dst) {
      if (pos == data.length) {
        return -1;
      }
      skip = emptyReads && !skip;
      if (skip) {
        return 0;
      }
      int n = Math.min(dst.remaining(), Math.min(chunk, data.length - pos));
      dst.put(data, pos, n);
      pos += n;
      return n;
    }

    @Override
    public boolean isOpen() {
      return true;
    }

    @Override
    public void close() {}
  }

  // ------------------------------------------------------------------ allocation

  /**
   * {@code com.sun.management.ThreadMXBean#getCurrentThreadAllocatedBytes}, looked up by name: the
   * tests are compiled into the SDK's module, which does not read the management modules.
   */
  private static long allocatedBy(Runnable action) {
    try {
      Object threads =
          Class.forName("java.lang.management.ManagementFactory")
              .getMethod("getThreadMXBean")
              .invoke(null);
      Method allocated =
          Class.forName("com.sun.management.ThreadMXBean")
              .getMethod("getCurrentThreadAllocatedBytes");
      long before = (long) allocated.invoke(threads);
      action.run();
      return (long) allocated.invoke(threads) - before;
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("cannot read the thread's allocated bytes", e);
    }
  }
}
