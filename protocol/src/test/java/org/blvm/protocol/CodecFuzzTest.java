package org.blvm.protocol;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Mutated valid messages must decode to a message or fail with a ProtocolException, nothing else.
 */
class CodecFuzzTest {
  private static final int ROUNDS = 20_000;

  @Test
  void decode_randomMutationsOfValidMessages_onlyReturnsMessageOrThrowsProtocolException() {
    Codec codec = new Codec(new Limits(1 << 16, 4096, 256, 4096, 16));
    List<byte[]> seeds = new ArrayList<>();
    for (Message m : CodecRoundTripTest.samples()) {
      seeds.add(codec.encode(m));
    }
    SharedEvent shared =
        codec.encodeShared(
            "NewBlock", null, Samples.tree(Samples.all().get(EventPayloads.NewBlock.class)));
    byte[] ev = codec.eventFrame(shared, 300);
    seeds.add(Arrays.copyOfRange(ev, 4, ev.length));
    Random random = new Random(0x5EED_B1B1L);
    int decoded = 0;
    int rejected = 0;
    long start = System.nanoTime();
    for (int i = 0; i < ROUNDS; i++) {
      byte[] input = mutate(seeds.get(random.nextInt(seeds.size())), random);
      try {
        assertNotNull(codec.decode(input));
        decoded++;
      } catch (ProtocolException e) {
        assertNotNull(e.reason());
        rejected++;
      } catch (Throwable t) {
        fail(
            "round " + i + " input " + java.util.HexFormat.of().formatHex(input) + " threw " + t,
            t);
      }
    }
    assertTrue(decoded > 0 && rejected > 0, "decoded " + decoded + ", rejected " + rejected);
    assertTrue(System.nanoTime() - start < 20_000_000_000L, "fuzzing took too long");
  }

  private static byte[] mutate(byte[] seed, Random r) {
    byte[] b = seed.clone();
    int edits = 1 + r.nextInt(4);
    for (int e = 0; e < edits; e++) {
      switch (r.nextInt(6)) {
        case 0: // bit flip
          if (b.length > 0) {
            int i = r.nextInt(b.length);
            b[i] ^= (byte) (1 << r.nextInt(8));
          }
          break;
        case 1: // random byte
          if (b.length > 0) {
            b[r.nextInt(b.length)] = (byte) r.nextInt(256);
          }
          break;
        case 2: // truncate
          b = Arrays.copyOf(b, r.nextInt(b.length + 1));
          break;
        case 3: // insert random bytes
          {
            int at = r.nextInt(b.length + 1);
            int n = 1 + r.nextInt(9);
            byte[] out = new byte[b.length + n];
            System.arraycopy(b, 0, out, 0, at);
            for (int k = 0; k < n; k++) {
              out[at + k] = (byte) r.nextInt(256);
            }
            System.arraycopy(b, at, out, at + n, b.length - at);
            b = out;
          }
          break;
        case 4: // delete a range
          if (b.length > 1) {
            int at = r.nextInt(b.length);
            int n = 1 + r.nextInt(Math.min(8, b.length - at));
            byte[] out = new byte[b.length - n];
            System.arraycopy(b, 0, out, 0, at);
            System.arraycopy(b, at + n, out, at, b.length - at - n);
            b = out;
          }
          break;
        default: // interesting head bytes: huge lengths, indefinite, break, tags, simple values
          if (b.length > 0) {
            int[] heads = {
              0x1B, 0x3B, 0x5A, 0x5B, 0x5F, 0x7A, 0x7F, 0x9A, 0x9F, 0xBB, 0xBF, 0xC2, 0xD9, 0xF7,
              0xF8, 0xFF, 0xF9, 0xFA, 0xFB
            };
            b[r.nextInt(b.length)] = (byte) heads[r.nextInt(heads.length)];
          }
          break;
      }
    }
    return b;
  }
}
