package org.blvm.protocol;

import java.util.Arrays;
import java.util.stream.LongStream;

/**
 * Integers at every width boundary of a CBOR head (RFC 8949 §3: the value in the initial byte up to
 * 23, then one, two, four and eight bytes that follow), each side of each boundary, positive and
 * negative: what a test of an integer encoder runs through.
 */
final class CborIntegers {
  private CborIntegers() {}

  private static final long[] EDGES = {
    0,
    1,
    23,
    24,
    255,
    256,
    65_535,
    65_536,
    4_294_967_295L,
    4_294_967_296L,
    Long.MAX_VALUE,
    -1,
    -24,
    -25,
    -256,
    -257,
    -65_536,
    -65_537,
    -4_294_967_296L,
    -4_294_967_297L,
    Long.MIN_VALUE
  };

  /** The boundary values, then {@code more}; a new array each call. */
  static long[] edgesAnd(long... more) {
    return LongStream.concat(Arrays.stream(EDGES), Arrays.stream(more)).toArray();
  }
}
