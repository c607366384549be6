package org.blvm.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.AbstractMap;
import java.util.Collection;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;

/**
 * The fast path of reading an event frame whose payload is a flat record ({@link RecordBinder}'s
 * classes): the envelope and the payload are read straight from the frame bytes into the {@link
 * Message.Event} and the record, in one pass, without a tree. The event's {@link
 * Message.Event#payload()} is then a tree built from the same bytes when it is first used.
 *
 * <p>Like {@link RecordBinder} it never rejects anything: it accepts only input that {@link
 * MessageCodec#decode} followed by {@link ValueCodec#toValue} reads to an equal event and an equal
 * record (the same limits, strict UTF-8, no key twice, each value of the one CBOR form the tree
 * path binds to its component unchanged) and returns null for anything else, after which the caller
 * decodes the frame the ordinary way, which gives the value or the error. {@code EventDecoderTest}
 * compares both paths on every event type's sample and on mutations of them. Immutable and
 * thread-safe.
 */
public final class EventDecoder {
  /** An event read by the fast path, with its payload bound to the record the caller asked for. */
  public record Decoded(Message.Event event, Object value) {}

  /**
   * Most items an accepted frame has (a map of 5, a payload map of at most 23 entries), so limits
   * at least this large cannot be exceeded by one.
   */
  private static final int SMALL_LIMIT = 32;

  private static final int MAX_KIND_CHARS = 32;
  private static final int MAX_TYPE_CHARS = 128;
  private static final int MAX_SOURCE_CHARS = 256;
  private static final JsonNodeFactory NODES = JsonNodeFactory.withExactBigDecimals(true);

  private final Limits limits;
  private final ValueCodec values;

  EventDecoder(Limits limits, ValueCodec values) {
    this.limits = Objects.requireNonNull(limits);
    this.values = Objects.requireNonNull(values);
  }

  /**
   * The event of this frame payload with its payload bound to {@code payloadType.apply(type)}, or
   * null when the fast path declines: the frame is not an event, its type has no such class (the
   * function returns null) or the class is not a flat record, or the bytes are not exactly the
   * accepted form. A null is not a verdict on the frame: the caller must then decode it with {@link
   * MessageCodec#decode}.
   *
   * @param payload the frame's payload; it must not change afterwards (the event's payload tree is
   *     built from it when first used)
   */
  public Decoded decode(byte[] payload, Function<String, Class<?>> payloadType) {
    if (payload.length == 0
        || payload.length > limits.maxFrameBytes()
        || limits.maxItems() < SMALL_LIMIT
        || limits.maxContainerEntries() < SMALL_LIMIT) {
      return null; // limits this small are left to the ordinary path, which enforces them
    }
    try {
      return envelope(new CborInput(payload), payload, payloadType);
    } catch (ProtocolException e) {
      return null; // the ordinary path reports it
    }
  }

  private Decoded envelope(CborInput in, byte[] frame, Function<String, Class<?>> payloadType)
      throws ProtocolException {
    int initial = in.next();
    int entries = initial & 0x1F;
    if (initial >>> 5 != 5 || entries < 4 || entries > 5) {
      return null;
    }
    String kind = null;
    String type = null;
    String source = null;
    long seq = -1;
    Object value = null;
    int payloadFrom = 0;
    int payloadTo = 0;
    int seen = 0;
    for (int i = 0; i < entries; i++) {
      String key = text(in, MAX_KIND_CHARS);
      int bit;
      switch (key == null ? "" : key) {
        case "kind":
          bit = 1;
          kind = text(in, MAX_KIND_CHARS);
          if (!"event".equals(kind)) {
            return null;
          }
          break;
        case "seq":
          bit = 2;
          seq = unsigned(in);
          if (seq < 0) {
            return null;
          }
          break;
        case "type":
          bit = 4;
          type = text(in, MAX_TYPE_CHARS);
          if (type == null) {
            return null;
          }
          break;
        case "source":
          bit = 8;
          if (in.peek() == 0xF6) {
            in.next();
          } else if ((source = text(in, MAX_SOURCE_CHARS)) == null) {
            return null;
          }
          break;
        case "payload":
          bit = 16;
          if ((seen & 4) == 0) {
            return null; // the type must come first to know the record
          }
          Class<?> target = payloadType.apply(type);
          RecordBinder.Binder b = target == null ? null : values.binder().binderFor(target);
          if (b == null) {
            return null;
          }
          payloadFrom = in.position();
          value = record(in, b);
          if (value == null) {
            return null;
          }
          payloadTo = in.position();
          break;
        default:
          return null;
      }
      if ((seen & bit) != 0) {
        return null;
      }
      seen |= bit;
    }
    if (!in.atEnd() || (seen & 0x17) != 0x17) {
      return null;
    }
    // the payload's tree, when used, is read as the ordinary path reads it: one level below the
    // envelope (the item counts are far below the limits, checked on entry)
    ObjectNode tree = new ObjectNode(NODES, new LazyTree(limits, frame, payloadFrom, payloadTo));
    return new Decoded(new Message.Event(seq, type, source, tree), value);
  }

  /** The flat record of binder {@code b} at the cursor, or null. */
  private Object record(CborInput in, RecordBinder.Binder b) throws ProtocolException {
    int initial = in.next();
    int n = b.names.length;
    if (initial >>> 5 != 5 || (initial & 0x1F) != n || n > 23) {
      return null;
    }
    Object[] args = new Object[n];
    for (int i = 0; i < n; i++) {
      String key = text(in, limits.maxStringBytes());
      int c = key == null ? -1 : indexOf(b.names, key);
      if (c < 0 || args[c] != null) {
        return null;
      }
      Object arg = value(in, b.kinds[c]);
      if (arg == null) {
        return null;
      }
      args[c] = arg;
    }
    return RecordBinder.construct(b, args);
  }

  private static int indexOf(String[] names, String key) {
    for (int i = 0; i < names.length; i++) {
      if (names[i].equals(key)) {
        return i;
      }
    }
    return -1;
  }

  /** A value of this kind in the one CBOR form the tree path binds unchanged, or null. */
  private Object value(CborInput in, RecordBinder.Kind kind) throws ProtocolException {
    switch (kind) {
      case STRING:
        return text(in, limits.maxStringBytes());
      case LONG:
        return integer(in, false);
      case INT:
        return integer(in, true);
      case DOUBLE:
        {
          int initial = in.next();
          return switch (initial) {
            case 0xF9 -> CborReader.half((int) in.uint(2));
            case 0xFA -> (double) Float.intBitsToFloat((int) in.uint(4));
            case 0xFB -> Double.longBitsToDouble(in.uint(8));
            default -> null;
          };
        }
      case BOOLEAN:
        {
          int initial = in.next();
          return initial == 0xF5 ? Boolean.TRUE : initial == 0xF4 ? Boolean.FALSE : null;
        }
      default:
        return null;
    }
  }

  /**
   * An integer as the tree path reads it: an {@code IntNode} (int) or, unless {@code intOnly}, a
   * {@code LongNode} (long); null for anything else (a {@code BigIntegerNode}, another type).
   */
  private static Object integer(CborInput in, boolean intOnly) throws ProtocolException {
    int initial = in.next();
    int major = initial >>> 5;
    int info = initial & 0x1F;
    if (major > 1 || info > 27) {
      return null;
    }
    long v;
    boolean isInt;
    if (info < 26) {
      v = in.smallArgument(info, in.position() - 1);
      isInt = true;
    } else if (info == 26) {
      v = in.uint(4);
      isInt = v <= Integer.MAX_VALUE; // as CborReader: a 4-byte argument above that is a long
    } else {
      v = in.uint(8);
      if (v < 0) {
        return null; // beyond a long: a BigIntegerNode
      }
      isInt = false; // an 8-byte argument is always a long
    }
    long value = major == 0 ? v : -v - 1;
    if (intOnly) {
      return isInt ? (Object) (int) value : null;
    }
    return value;
  }

  /** A unsigned integer that fits a long, or -1. */
  private static long unsigned(CborInput in) throws ProtocolException {
    int initial = in.next();
    int info = initial & 0x1F;
    if (initial >>> 5 != 0 || info > 27) {
      return -1;
    }
    long v = in.length(info, in.position() - 1);
    return v == Long.MAX_VALUE && info == 27 ? -1 : v;
  }

  /** A definite-length text string of at most {@code maxChars} characters, or null. */
  private String text(CborInput in, int maxChars) throws ProtocolException {
    int initial = in.next();
    int info = initial & 0x1F;
    if (initial >>> 5 != 3 || info > 27) {
      return null;
    }
    long n = in.length(info, in.position() - 1);
    if (n > 3L * limits.maxStringBytes()) {
      return null;
    }
    String s = in.utf8((int) n);
    return s.length() > Math.min(maxChars, limits.maxStringBytes()) ? null : s;
  }

  /**
   * The map of a payload's tree, read from the frame bytes when first used; the bytes were checked
   * when the record was bound, so reading them again cannot fail.
   */
  private static final class LazyTree extends AbstractMap<String, JsonNode> {
    private final Limits limits;
    private byte[] frame;
    private final int from;
    private final int to;
    private Map<String, JsonNode> map;

    LazyTree(Limits limits, byte[] frame, int from, int to) {
      this.limits = limits;
      this.frame = frame;
      this.from = from;
      this.to = to;
    }

    private synchronized Map<String, JsonNode> map() {
      if (map == null) {
        try {
          JsonNode tree = CborReader.readRange(limits, frame, from, to, 1, 0);
          Map<String, JsonNode> m = new LinkedHashMap<>();
          for (Iterator<Map.Entry<String, JsonNode>> it = tree.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            m.put(e.getKey(), e.getValue());
          }
          map = m;
          frame = null;
        } catch (ProtocolException e) {
          throw new IllegalStateException("a payload read once could not be read again", e);
        }
      }
      return map;
    }

    @Override
    public Set<Map.Entry<String, JsonNode>> entrySet() {
      return map().entrySet();
    }

    @Override
    public Set<String> keySet() {
      return map().keySet();
    }

    @Override
    public Collection<JsonNode> values() {
      return map().values();
    }

    @Override
    public int size() {
      return map().size();
    }

    @Override
    public boolean isEmpty() {
      return map().isEmpty();
    }

    @Override
    public boolean containsKey(Object key) {
      return map().containsKey(key);
    }

    @Override
    public JsonNode get(Object key) {
      return map().get(key);
    }

    @Override
    public JsonNode put(String key, JsonNode value) {
      return map().put(key, value);
    }

    @Override
    public JsonNode remove(Object key) {
      return map().remove(key);
    }

    @Override
    public void clear() {
      map().clear();
    }
  }
}
