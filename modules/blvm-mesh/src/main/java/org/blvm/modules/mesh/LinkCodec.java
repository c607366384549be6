package org.blvm.modules.mesh;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The link protocol's frames (docs/modules.md, "Link protocol"): a 4-byte big-endian length (1 …
 * {@link #MAX_FRAME}), then the version byte ({@link #VERSION}), the type byte and the body. Every
 * count and length is checked before anything is allocated; trailing bytes, unknown types, other
 * versions and invalid node ids are {@link MalformedFrameException}s.
 */
final class LinkCodec {
  static final int VERSION = 1;
  static final int MAX_FRAME = 65_536;
  static final int MAX_PAYLOAD = 32_768;
  static final int MAX_ROUTES = RoutingTable.MAX_DESTINATIONS;
  static final int MAX_ID = 64;

  static final int HELLO = 1;
  static final int ANNOUNCE = 2;
  static final int PACKET = 3;

  /** A node id: 1–64 characters from {@code a-z}, {@code 0-9}, {@code .}, {@code _}, {@code -}. */
  static final Pattern NODE_ID = Pattern.compile("[a-z0-9._-]{1," + MAX_ID + "}");

  private LinkCodec() {}

  /** Bytes that break the link protocol; the link is closed. */
  static final class MalformedFrameException extends IOException {
    private static final long serialVersionUID = 1L;

    MalformedFrameException(String message) {
      super(message);
    }
  }

  static byte[] encode(LinkFrame frame) {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(body)) {
      out.writeByte(VERSION);
      if (frame instanceof LinkFrame.Hello h) {
        out.writeByte(HELLO);
        writeId(out, h.nodeId());
      } else if (frame instanceof LinkFrame.Announce a) {
        if (a.routes().size() > MAX_ROUTES) {
          throw new IllegalArgumentException(
              "an announcement holds at most " + MAX_ROUTES + " routes");
        }
        out.writeByte(ANNOUNCE);
        out.writeShort(a.routes().size());
        for (Map.Entry<String, Integer> e : a.routes().entrySet()) {
          writeId(out, e.getKey());
          out.writeByte(checkHops(e.getValue()));
        }
      } else if (frame instanceof LinkFrame.Packet p) {
        byte[] payload = p.payloadJson().getBytes(StandardCharsets.UTF_8);
        if (payload.length > MAX_PAYLOAD || p.ttl() < 0 || p.ttl() > 255) {
          throw new IllegalArgumentException("packet payload or ttl out of range");
        }
        out.writeByte(PACKET);
        out.writeByte(p.ttl());
        out.writeByte(checkHops(p.hops()));
        writeId(out, p.source());
        writeId(out, p.destination());
        out.writeInt(payload.length);
        out.write(payload);
      }
    } catch (IOException e) {
      throw new IllegalStateException(e); // a ByteArrayOutputStream does not fail
    }
    byte[] b = body.toByteArray();
    return ByteBuffer.allocate(4 + b.length).putInt(b.length).put(b).array();
  }

  static void write(OutputStream out, LinkFrame frame) throws IOException {
    out.write(encode(frame));
    out.flush();
  }

  /**
   * Reads one frame.
   *
   * @throws EOFException when the stream ends before a frame begins or within one
   * @throws MalformedFrameException when the bytes break the protocol
   */
  static LinkFrame read(InputStream stream) throws IOException {
    DataInputStream in = new DataInputStream(stream);
    int length = in.readInt();
    if (length < 2 || length > MAX_FRAME) {
      throw new MalformedFrameException(
          "frame length " + Integer.toUnsignedString(length) + " outside 2.." + MAX_FRAME);
    }
    byte[] body = in.readNBytes(length);
    if (body.length < length) {
      throw new EOFException("the link ended within a frame");
    }
    return decode(ByteBuffer.wrap(body));
  }

  static LinkFrame decode(ByteBuffer b) throws MalformedFrameException {
    int version = u8(b);
    if (version != VERSION) {
      throw new MalformedFrameException(
          "link protocol version " + version + " is not supported (supported: " + VERSION + ")");
    }
    int type = u8(b);
    LinkFrame frame =
        switch (type) {
          case HELLO -> new LinkFrame.Hello(readId(b, "hello node id"));
          case ANNOUNCE -> {
            int count = u16(b);
            if (count > MAX_ROUTES) {
              throw new MalformedFrameException(
                  "announcement of " + count + " routes, at most " + MAX_ROUTES);
            }
            Map<String, Integer> routes = new LinkedHashMap<>();
            for (int i = 0; i < count; i++) {
              String id = readId(b, "route " + i + " destination");
              int hops = u8(b);
              if (hops < 1 || hops > RoutingTable.UNREACHABLE) {
                throw new MalformedFrameException(
                    "route "
                        + i
                        + " hop count "
                        + hops
                        + " outside 1.."
                        + RoutingTable.UNREACHABLE);
              }
              if (routes.put(id, hops) != null) {
                throw new MalformedFrameException("route " + i + " repeats \"" + id + "\"");
              }
            }
            yield new LinkFrame.Announce(routes);
          }
          case PACKET -> {
            int ttl = u8(b);
            int hops = u8(b);
            if (hops > RoutingTable.UNREACHABLE) {
              throw new MalformedFrameException("packet hop count " + hops + " over 16");
            }
            String source = readId(b, "packet source");
            String destination = readId(b, "packet destination");
            int size = need(b, 4).getInt();
            if (size < 0 || size > MAX_PAYLOAD) {
              throw new MalformedFrameException(
                  "packet payload of "
                      + Integer.toUnsignedString(size)
                      + " bytes, at most "
                      + MAX_PAYLOAD);
            }
            byte[] payload = new byte[size];
            need(b, size).get(payload);
            yield new LinkFrame.Packet(source, destination, ttl, hops, utf8(payload, "payload"));
          }
          default -> throw new MalformedFrameException("unknown frame type " + type);
        };
    if (b.hasRemaining()) {
      throw new MalformedFrameException(
          b.remaining() + " bytes after the end of a frame of type " + type);
    }
    return frame;
  }

  private static int checkHops(int hops) {
    if (hops < 0 || hops > RoutingTable.UNREACHABLE) {
      throw new IllegalArgumentException("hop count " + hops + " outside 0..16");
    }
    return hops;
  }

  private static void writeId(DataOutputStream out, String id) throws IOException {
    if (!NODE_ID.matcher(id).matches()) {
      throw new IllegalArgumentException("not a node id: \"" + id + "\"");
    }
    out.writeByte(id.length());
    out.write(id.getBytes(StandardCharsets.US_ASCII));
  }

  private static String readId(ByteBuffer b, String what) throws MalformedFrameException {
    int len = u8(b);
    byte[] raw = new byte[len];
    need(b, len).get(raw);
    String id = utf8(raw, what);
    if (!NODE_ID.matcher(id).matches()) {
      throw new MalformedFrameException(
          what + " is not a node id (1-64 of a-z 0-9 . _ -): \"" + printable(id) + "\"");
    }
    return id;
  }

  private static String utf8(byte[] raw, String what) throws MalformedFrameException {
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(raw))
          .toString();
    } catch (CharacterCodingException e) {
      throw new MalformedFrameException(what + " is not UTF-8");
    }
  }

  private static String printable(String s) {
    String cut = s.length() > MAX_ID ? s.substring(0, MAX_ID) + "…" : s;
    return cut.replaceAll("\\p{Cntrl}", "?");
  }

  private static int u8(ByteBuffer b) throws MalformedFrameException {
    return need(b, 1).get() & 0xff;
  }

  private static int u16(ByteBuffer b) throws MalformedFrameException {
    return need(b, 2).getShort() & 0xffff;
  }

  private static ByteBuffer need(ByteBuffer b, int n) throws MalformedFrameException {
    if (b.remaining() < n) {
      throw new MalformedFrameException(
          "frame ends early: " + n + " more bytes needed, " + b.remaining() + " left");
    }
    return b;
  }
}
