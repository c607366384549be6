package org.blvm.protocol;

import com.fasterxml.jackson.databind.BeanDescription;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.introspect.AnnotatedMember;
import com.fasterxml.jackson.databind.introspect.BeanPropertyDefinition;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Method;
import java.lang.reflect.RecordComponent;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a flat record (components of type {@code String}, {@code long}, {@code int} or {@code
 * boolean}) as a CBOR map straight into a {@link CborWriter}, without Jackson's generator and
 * without boxing: the node's event payloads take this path, so encoding one allocates nothing but
 * its bytes. The keys are the names Jackson's mapper gives the components, in the order it writes
 * them. A class is used only after its first value gave the same bytes both ways ({@link
 * #verified}); a value this writer cannot vouch for (a null, a string that is not short ASCII) is
 * refused per value, and the caller takes Jackson's path for it. Thread-safe.
 */
final class RecordEncoder {
  /** Longest string written here; longer ones (which Jackson may chunk) take Jackson's path. */
  private static final int MAX_STRING_CHARS = 1024;

  private static final int STRING = 0;
  private static final int LONG = 1;
  private static final int INT = 2;
  private static final int BOOLEAN = 3;

  /** How to write one record class; {@link #NONE} when it cannot be written here. */
  static final class Plan {
    private final byte[][] keys;
    private final int[] kinds;
    private final MethodHandle[] getters;

    /** 0: not yet compared with Jackson's bytes; 1: the same; -1: different (never used). */
    private volatile int verdict;

    Plan(byte[][] keys, int[] kinds, MethodHandle[] getters) {
      this.keys = keys;
      this.kinds = kinds;
      this.getters = getters;
    }

    boolean verified() {
      return verdict == 1;
    }

    boolean unverified() {
      return verdict == 0;
    }

    void verdict(boolean same) {
      verdict = same ? 1 : -1;
    }

    /**
     * Appends {@code value} as a map; false (with part of it maybe written: the caller truncates)
     * when a component is null or a string this writer does not write.
     */
    boolean write(Object value, CborWriter w) {
      w.mapHeader(keys.length);
      try {
        for (int i = 0; i < keys.length; i++) {
          w.raw(keys[i]);
          switch (kinds[i]) {
            case STRING -> {
              String s = (String) getters[i].invokeExact(value);
              if (s == null || !w.asciiText(s, MAX_STRING_CHARS)) {
                return false;
              }
            }
            case LONG -> w.integer((long) getters[i].invokeExact(value));
            case INT -> w.integer((int) getters[i].invokeExact(value));
            default -> w.bool((boolean) getters[i].invokeExact(value));
          }
        }
      } catch (RuntimeException | Error e) {
        throw e;
      } catch (Throwable t) {
        throw new IllegalStateException("reading a record component failed", t);
      }
      return true;
    }
  }

  static final Plan NONE = new Plan(new byte[0][], new int[0], new MethodHandle[0]);

  static {
    NONE.verdict(false);
  }

  private final ObjectMapper mapper;

  private final ClassValue<Plan> plans =
      new ClassValue<>() {
        @Override
        protected Plan computeValue(Class<?> type) {
          try {
            return plan(type);
          } catch (ReflectiveOperationException | RuntimeException e) {
            return NONE;
          }
        }
      };

  RecordEncoder(ObjectMapper mapper) {
    this.mapper = mapper;
  }

  /** The plan of this class, {@link #NONE} for anything but a flat record. */
  Plan plan(Object value) {
    return value instanceof Record ? plans.get(value.getClass()) : NONE;
  }

  private Plan plan(Class<?> type) throws ReflectiveOperationException {
    RecordComponent[] components = type.getRecordComponents();
    Map<Method, RecordComponent> byAccessor = new HashMap<>();
    for (RecordComponent c : components) {
      byAccessor.put(c.getAccessor(), c);
    }
    BeanDescription description =
        mapper.getSerializationConfig().introspect(mapper.constructType(type));
    List<BeanPropertyDefinition> properties = description.findProperties();
    if (properties.size() != components.length) {
      return NONE;
    }
    byte[][] keys = new byte[components.length][];
    int[] kinds = new int[components.length];
    MethodHandle[] getters = new MethodHandle[components.length];
    MethodHandles.Lookup lookup = MethodHandles.lookup();
    for (int i = 0; i < properties.size(); i++) {
      BeanPropertyDefinition p = properties.get(i);
      AnnotatedMember accessor = p.getAccessor();
      RecordComponent c =
          accessor == null || !(accessor.getMember() instanceof Method m)
              ? null
              : byAccessor.get(m);
      if (c == null) {
        return NONE;
      }
      Class<?> t = c.getType();
      int kind;
      if (t == String.class) {
        kind = STRING;
      } else if (t == long.class) {
        kind = LONG;
      } else if (t == int.class) {
        kind = INT;
      } else if (t == boolean.class) {
        kind = BOOLEAN;
      } else {
        return NONE;
      }
      CborWriter key = new CborWriter(16);
      if (!key.asciiText(p.getName(), MAX_STRING_CHARS)) {
        return NONE;
      }
      keys[i] = key.toByteArray();
      kinds[i] = kind;
      MethodHandle h = lookup.unreflect(c.getAccessor());
      getters[i] = h.asType(MethodType.methodType(t, Object.class));
    }
    return new Plan(keys, kinds, getters);
  }
}
