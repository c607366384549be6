package org.blvm.protocol;

import static java.nio.charset.StandardCharsets.ISO_8859_1;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The bytes of one frame payload under a cursor, read the way CBOR (RFC 8949) heads are: initial
 * bytes, big-endian arguments, lengths (definite or indefinite), raw byte runs and strictly valid
 * UTF-8. Every read checks that the bytes are there first: running past the end is a {@code
 * MALFORMED_CBOR} {@link ProtocolException} naming the offset, never an index exception. What the
 * items mean, and every {@link Limits} bound, is {@link CborReader}'s.
 */
final class CborInput {
  /** Longest string {@link #shared} keeps. */
  private static final int SHARED_MAX_CHARS = 24;

  private static final String[] SHARED = new String[1024];

  private final byte[] in;

  /** The offset just past the last byte this cursor may read. */
  private final int end;

  private int pos;

  CborInput(byte[] in) {
    this(in, 0, in.length);
  }

  /** A cursor over {@code in[from, to)}; offsets stay those of {@code in}. */
  CborInput(byte[] in, int from, int to) {
    this.in = in;
    this.pos = from;
    this.end = to;
  }

  /** The offset of the next byte. */
  int position() {
    return pos;
  }

  /** Whether every byte has been read. */
  boolean atEnd() {
    return pos == end;
  }

  /** The next byte, consumed. */
  int next() throws ProtocolException {
    need(1);
    return in[pos++] & 0xFF;
  }

  /** The next byte, not consumed. */
  int peek() throws ProtocolException {
    need(1);
    return in[pos] & 0xFF;
  }

  /** Requires {@code n} more bytes. */
  void need(long n) throws ProtocolException {
    if (n > end - pos) {
      throw malformed(
          "unexpected end of input at offset " + end + " (" + n + " more bytes needed)");
    }
  }

  /** The next {@code n} bytes as a big-endian unsigned number (n = 8 may come out negative). */
  long uint(int n) throws ProtocolException {
    need(n);
    long v = 0;
    for (int i = 0; i < n; i++) {
      v = (v << 8) | (in[pos++] & 0xFF);
    }
    return v;
  }

  /**
   * The argument of an integer head with at most two argument bytes; {@code at} is the offset of
   * its initial byte.
   */
  long smallArgument(int info, int at) throws ProtocolException {
    if (info < 24) {
      return info;
    }
    if (info == 24) {
      return uint(1);
    }
    if (info == 25) {
      return uint(2);
    }
    throw badInfo(info, at);
  }

  /**
   * The argument of a length head (strings, arrays, maps), or -1 for indefinite length; a length
   * beyond {@code Integer.MAX_VALUE} is returned as {@code Long.MAX_VALUE} (it exceeds every
   * limit).
   */
  long length(int info, int at) throws ProtocolException {
    if (info < 24) {
      return info;
    }
    switch (info) {
      case 24:
        return uint(1);
      case 25:
        return uint(2);
      case 26:
        return uint(4);
      case 27:
        {
          long v = uint(8);
          return v < 0 ? Long.MAX_VALUE : v;
        }
      case 31:
        return -1;
      default:
        throw badInfo(info, at);
    }
  }

  /** A copy of the next {@code n} bytes, consumed. */
  byte[] take(int n) throws ProtocolException {
    need(n);
    byte[] b = Arrays.copyOfRange(in, pos, pos + n);
    pos += n;
    return b;
  }

  /** The next n bytes as strictly valid UTF-8. */
  String utf8(int n) throws ProtocolException {
    need(n);
    int start = pos;
    int end = start + n;
    pos = end;
    for (int i = start; i < end; i++) {
      if (in[i] < 0) {
        try {
          return StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(in, start, n))
              .toString();
        } catch (CharacterCodingException e) {
          throw malformed("text string at offset " + start + " is not valid UTF-8");
        }
      }
    }
    return n <= SHARED_MAX_CHARS ? shared(start, n) : new String(in, start, n, ISO_8859_1);
  }

  /**
   * An ASCII string of at most {@link #SHARED_MAX_CHARS} bytes as an instance shared between
   * frames: map keys and short values ("kind", "event", "NewBlock" …) repeat in every message, and
   * a shared instance is neither allocated again nor hashed again (a String caches its hash). One
   * slot per hash value; a miss replaces the slot. Racy on purpose: a String is immutable and
   * safely published, so a reader sees either a whole string or null, and any string it sees is
   * checked byte for byte before it is used.
   */
  private String shared(int start, int n) {
    int h = 0;
    for (int i = start; i < start + n; i++) {
      h = 31 * h + in[i]; // String.hashCode of an ASCII string
    }
    int slot = (h ^ (h >>> 16)) & (SHARED.length - 1);
    String s = SHARED[slot];
    if (s != null && s.length() == n) {
      int i = 0;
      while (i < n && s.charAt(i) == in[start + i]) {
        i++;
      }
      if (i == n) {
        return s;
      }
    }
    s = new String(in, start, n, ISO_8859_1);
    SHARED[slot] = s;
    return s;
  }

  /** Additional information {@code info} is reserved or not allowed in the head at {@code at}. */
  ProtocolException badInfo(int info, int at) {
    return malformed(
        (info == 31
                ? "indefinite length (additional information 31)"
                : "reserved additional" + " information " + info)
            + " is not allowed in initial byte 0x"
            + hex(in[at] & 0xFF)
            + " at offset "
            + at);
  }

  static String hex(int b) {
    return String.format("%02x", b);
  }

  static ProtocolException malformed(String message) {
    return new ProtocolException(
        ProtocolException.Reason.MALFORMED_CBOR, "malformed CBOR: " + message);
  }
}
