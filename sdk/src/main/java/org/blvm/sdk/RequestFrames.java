package org.blvm.sdk;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicReference;
import org.blvm.protocol.Codec;
import org.blvm.protocol.Frames;

/**
 * Encodes a request's frame, {@code {kind:"request", id, method, params}} behind its length prefix,
 * without building a tree: the CBOR heads are written here, and the params are appended as one item
 * (a typed value through the codec's direct encoder, once per class for a record without
 * components; a tree as it is; none as null). The bytes are those of {@code
 * Frames.frame(codec.encode(new Message.Request(id, method, codec.toTree(params))))}, which {@code
 * RequestFramesTest} checks. Thread-safe: no state but the per-class cache.
 */
final class RequestFrames {
  /** {@code map(4) "kind" "request" "id"}: the fixed start of every request. */
  private static final byte[] START = {
    (byte) 0xA4, 0x64, 'k', 'i', 'n', 'd', 0x67, 'r', 'e', 'q', 'u', 'e', 's', 't', 0x62, 'i', 'd'
  };

  private static final byte[] METHOD_KEY = {0x66, 'm', 'e', 't', 'h', 'o', 'd'};
  private static final byte[] PARAMS_KEY = {0x66, 'p', 'a', 'r', 'a', 'm', 's'};
  private static final byte[] NULL = {(byte) 0xF6};

  private final Codec codec;

  /** The encoding of a record class without components (every instance encodes alike), or null. */
  private final ClassValue<AtomicReference<byte[]>> emptyRecords =
      new ClassValue<>() {
        @Override
        protected AtomicReference<byte[]> computeValue(Class<?> type) {
          boolean empty = type.isRecord() && type.getRecordComponents().length == 0;
          return empty ? new AtomicReference<>() : null;
        }
      };

  RequestFrames(Codec codec) {
    this.codec = codec;
  }

  /** The whole frame, length prefix included. */
  byte[] frame(long id, String method, Object params) {
    byte[] p = params(params);
    byte[] utf8 = isAscii(method) ? null : method.getBytes(StandardCharsets.UTF_8);
    int methodBytes = utf8 != null ? utf8.length : method.length();
    int payload =
        START.length
            + headSize(id)
            + METHOD_KEY.length
            + headSize(methodBytes)
            + methodBytes
            + PARAMS_KEY.length
            + p.length;
    byte[] frame = new byte[Frames.HEADER_BYTES + payload];
    frame[0] = (byte) (payload >>> 24);
    frame[1] = (byte) (payload >>> 16);
    frame[2] = (byte) (payload >>> 8);
    frame[3] = (byte) payload;
    int at = put(frame, Frames.HEADER_BYTES, START);
    at = head(frame, at, 0, id);
    at = put(frame, at, METHOD_KEY);
    at = head(frame, at, 3, methodBytes);
    if (utf8 != null) {
      at = put(frame, at, utf8);
    } else {
      for (int i = 0; i < methodBytes; i++) {
        frame[at++] = (byte) method.charAt(i);
      }
    }
    at = put(frame, at, PARAMS_KEY);
    put(frame, at, p);
    return frame;
  }

  /** The params as one CBOR item. */
  private byte[] params(Object params) {
    if (params == null) {
      return NULL;
    }
    if (params instanceof JsonNode node) {
      return codec.writeCbor(node);
    }
    AtomicReference<byte[]> empty = emptyRecords.get(params.getClass());
    if (empty == null) {
      return codec.direct().encodeValue(params);
    }
    byte[] known = empty.get();
    if (known == null) {
      known = codec.direct().encodeValue(params);
      empty.set(known); // a racing caller computes the same bytes; never written after this
    }
    return known;
  }

  private static boolean isAscii(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) >= 0x80) {
        return false;
      }
    }
    return true;
  }

  /** Bytes of the shortest CBOR head with the argument {@code v}. */
  private static int headSize(long v) {
    return v < 24 ? 1 : v <= 0xFF ? 2 : v <= 0xFFFF ? 3 : v <= 0xFFFF_FFFFL ? 5 : 9;
  }

  private static int put(byte[] out, int at, byte[] bytes) {
    System.arraycopy(bytes, 0, out, at, bytes.length);
    return at + bytes.length;
  }

  /**
   * A CBOR head of major type {@code major} with the unsigned argument {@code v}, shortest form.
   */
  private static int head(byte[] out, int at, int major, long v) {
    int m = major << 5;
    if (v < 0) {
      throw new IllegalArgumentException("negative " + v);
    }
    if (v < 24) {
      out[at++] = (byte) (m | (int) v);
      return at;
    }
    int bytes;
    if (v <= 0xFF) {
      out[at++] = (byte) (m | 24);
      bytes = 1;
    } else if (v <= 0xFFFF) {
      out[at++] = (byte) (m | 25);
      bytes = 2;
    } else if (v <= 0xFFFF_FFFFL) {
      out[at++] = (byte) (m | 26);
      bytes = 4;
    } else {
      out[at++] = (byte) (m | 27);
      bytes = 8;
    }
    for (int shift = 8 * (bytes - 1); shift >= 0; shift -= 8) {
      out[at++] = (byte) (v >>> shift);
    }
    return at;
  }
}
