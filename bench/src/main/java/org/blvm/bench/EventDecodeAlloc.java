package org.blvm.bench;

import java.lang.management.ManagementFactory;
import java.util.Arrays;
import org.blvm.protocol.Codec;
import org.blvm.protocol.EventDecoder;
import org.blvm.protocol.EventType;
import org.blvm.protocol.Frames;
import org.blvm.protocol.Message;

/**
 * Bytes a module's reading thread allocates to decode one event frame into its handler's record:
 * the ordinary path (the frame to a tree, then the tree to the record) against the fast path
 * ({@code Codec.events()}, straight from the bytes), for the payloads of part (b). Counts from
 * {@code ThreadMXBean.getCurrentThreadAllocatedBytes} over {@code events} decodes after as many for
 * warm-up; load does not move them. Usage: {@code EventDecodeAlloc [events]}.
 */
public final class EventDecodeAlloc {
  private EventDecodeAlloc() {}

  public static void main(String[] args) throws Exception {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
    Codec codec = Codec.withDefaults();
    measure(codec, n, EventType.NewBlock, EventBench.payloads(n, EventBench::block));
    measure(codec, n, EventType.MempoolTransactionAdded, EventBench.payloads(n, EventBench::tx));
  }

  private static void measure(Codec codec, int n, EventType type, Record[] payloads)
      throws Exception {
    byte[][] frames = new byte[n][];
    for (int i = 0; i < n; i++) {
      byte[] f =
          codec.eventFrame(codec.encodeShared(type.wireName(), null, (Object) payloads[i]), i + 1);
      frames[i] = Arrays.copyOfRange(f, Frames.HEADER_BYTES, f.length);
    }
    Class<?> cls = payloads[0].getClass();
    java.util.function.Function<String, Class<?>> types = t -> cls;
    com.sun.management.ThreadMXBean mx =
        (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    long sink = 0;
    for (int round = 0; round < 2; round++) {
      long a0 = mx.getCurrentThreadAllocatedBytes();
      for (byte[] f : frames) {
        Message.Event e = (Message.Event) codec.decode(f);
        sink += codec.toValue(e.payload(), cls).hashCode();
      }
      long a1 = mx.getCurrentThreadAllocatedBytes();
      for (byte[] f : frames) {
        EventDecoder.Decoded d = codec.events().decode(f, types);
        sink += d.value().hashCode() + d.event().seq();
      }
      long a2 = mx.getCurrentThreadAllocatedBytes();
      if (round == 1) {
        System.out.printf(
            "%-24s frame %d bytes: tree then record %.0f B/event, straight from the bytes %.0f"
                + " B/event%n",
            type.wireName(), frames[0].length, (a1 - a0) / (double) n, (a2 - a1) / (double) n);
      }
    }
    if (sink == 42) {
      System.out.println();
    }
  }
}
