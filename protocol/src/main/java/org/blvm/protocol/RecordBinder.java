package org.blvm.protocol;

import com.fasterxml.jackson.databind.DeserializationConfig;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.PropertyNamingStrategy;
import com.fasterxml.jackson.databind.deser.BeanDeserializer;
import com.fasterxml.jackson.databind.deser.DefaultDeserializationContext;
import com.fasterxml.jackson.databind.deser.SettableBeanProperty;
import com.fasterxml.jackson.databind.deser.ValueInstantiator;
import com.fasterxml.jackson.databind.introspect.AnnotatedWithParams;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.AnnotatedElement;
import java.lang.reflect.Constructor;
import java.lang.reflect.Executable;
import java.lang.reflect.RecordComponent;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.Set;

/**
 * The fast path of {@link ValueCodec#toValue}: binds a tree straight to a record whose components
 * are all {@code String}, {@code long}, {@code int}, {@code double} or {@code boolean}, without
 * Jackson databind (most event payloads are such flat records; measured gains in
 * docs/performance.md).
 *
 * <p>It accepts only a subset of what Jackson accepts: a map whose keys are exactly the component
 * names, each value of the one node type that converts to its component unchanged (String from a
 * text string; long from an {@code IntNode} or {@code LongNode}; int from an {@code IntNode};
 * double from a {@code DoubleNode}; boolean from a {@code BooleanNode}), and a canonical
 * constructor that returns normally. For any other input {@link #bind} returns null and the caller
 * runs Jackson, which produces the value or the error. So the fast path never rejects anything and
 * never has to produce an error message, and whatever it accepts, Jackson reads to an equal record.
 * To keep it that way a class is eligible only when it carries no annotations and Jackson itself
 * reads it through the canonical constructor under the same names (checked once per class);
 * anything else is left to Jackson.
 */
final class RecordBinder {
  enum Kind {
    STRING,
    LONG,
    INT,
    DOUBLE,
    BOOLEAN
  }

  /** How to bind one record class; {@link #INELIGIBLE} for classes left to Jackson. */
  static final class Binder {
    final String[] names;
    final Kind[] kinds;

    /** The canonical constructor as {@code (Object[]) -> Object}. */
    final MethodHandle constructor;

    Binder(String[] names, Kind[] kinds, MethodHandle constructor) {
      this.names = names;
      this.kinds = kinds;
      this.constructor = constructor;
    }
  }

  private static final Binder INELIGIBLE = new Binder(new String[0], new Kind[0], null);

  private final ObjectMapper mapper;
  private final PropertyNamingStrategies.NamingBase naming;

  private final ClassValue<Binder> binders =
      new ClassValue<>() {
        @Override
        protected Binder computeValue(Class<?> type) {
          try {
            Binder b = create(type);
            return b == null ? INELIGIBLE : b;
          } catch (Exception | LinkageError e) {
            return INELIGIBLE;
          }
        }
      };

  /**
   * @param mapper the mapper the slow path reads with: its naming strategy gives the wire names,
   *     and its deserializers decide which classes are eligible
   */
  RecordBinder(ObjectMapper mapper) {
    this.mapper = mapper;
    PropertyNamingStrategy strategy = mapper.getDeserializationConfig().getPropertyNamingStrategy();
    this.naming = strategy instanceof PropertyNamingStrategies.NamingBase base ? base : null;
  }

  /** True when records of this class can take the fast path. */
  boolean binds(Class<?> type) {
    return binders.get(type) != INELIGIBLE;
  }

  /**
   * How records of this class are bound (wire names and kinds of the components, in order), or null
   * when the class is left to Jackson.
   */
  Binder binderFor(Class<?> type) {
    Binder b = binders.get(type);
    return b == INELIGIBLE ? null : b;
  }

  /**
   * The record from its components in order ({@code args[i]} of kind {@code b.kinds[i]}), or null
   * when the constructor throws (failed validation and the like: the slow path reports it).
   */
  static Object construct(Binder b, Object[] args) {
    try {
      return (Object) b.constructor.invokeExact(args);
    } catch (VirtualMachineError e) {
      throw e;
    } catch (Throwable e) {
      return null;
    }
  }

  /**
   * The record bound from {@code node}, or null when the fast path declines: the class is not
   * eligible, the tree is not exactly the accepted shape, or the constructor threw. A null is not a
   * verdict on the input; the caller must then ask Jackson.
   */
  <T> T bind(JsonNode node, Class<T> type) {
    Binder b = binders.get(type);
    if (b == INELIGIBLE || !(node instanceof ObjectNode map) || map.size() != b.names.length) {
      return null;
    }
    Object[] args = new Object[b.names.length];
    for (int i = 0; i < args.length; i++) {
      JsonNode v = map.get(b.names[i]);
      Object arg = v == null ? null : read(b.kinds[i], v);
      if (arg == null) {
        return null;
      }
      args[i] = arg;
    }
    return type.cast(construct(b, args));
  }

  /** The argument for a component of this kind, or null unless the node has the exact type. */
  private static Object read(Kind kind, JsonNode v) {
    return switch (kind) {
      case STRING -> v.isTextual() ? v.textValue() : null;
      case LONG -> v.isInt() || v.isLong() ? v.longValue() : null;
      case INT -> v.isInt() ? v.intValue() : null;
      case DOUBLE -> v.isDouble() ? v.doubleValue() : null;
      case BOOLEAN -> v.isBoolean() ? v.booleanValue() : null;
    };
  }

  private static Kind kindOf(Class<?> c) {
    if (c == String.class) {
      return Kind.STRING;
    } else if (c == long.class) {
      return Kind.LONG;
    } else if (c == int.class) {
      return Kind.INT;
    } else if (c == double.class) {
      return Kind.DOUBLE;
    } else if (c == boolean.class) {
      return Kind.BOOLEAN;
    }
    return null;
  }

  /** The binder for an eligible class, or null. */
  private Binder create(Class<?> type) throws Exception {
    if (naming == null || !type.isRecord() || annotated(type)) {
      return null;
    }
    RecordComponent[] components = type.getRecordComponents();
    int n = components.length;
    String[] names = new String[n];
    Kind[] kinds = new Kind[n];
    Class<?>[] types = new Class<?>[n];
    Set<String> distinct = new HashSet<>();
    for (int i = 0; i < n; i++) {
      types[i] = components[i].getType();
      kinds[i] = kindOf(types[i]);
      names[i] = naming.translate(components[i].getName());
      if (kinds[i] == null || !distinct.add(names[i])) {
        return null;
      }
    }
    Constructor<?> canonical = type.getDeclaredConstructor(types);
    if (!readsLikeJackson(type, canonical, names)) {
      return null;
    }
    // public classes in exported packages only: otherwise leave access to Jackson
    MethodHandle ctor =
        MethodHandles.publicLookup()
            .findConstructor(type, MethodType.methodType(void.class, types))
            .asSpreader(Object[].class, n)
            .asType(MethodType.methodType(Object.class, Object[].class));
    return new Binder(names, kinds, ctor);
  }

  /**
   * True when Jackson reads the class with a plain bean deserializer through {@code canonical} as a
   * properties-based creator whose argument {@code i} is named {@code names[i]}, without type
   * information (or, without components, as its default creator): then an accepted tree means the
   * same constructor call on both paths.
   */
  private boolean readsLikeJackson(Class<?> type, Constructor<?> canonical, String[] names)
      throws IOException {
    DeserializationConfig config = mapper.getDeserializationConfig();
    DefaultDeserializationContext ctxt =
        ((DefaultDeserializationContext) mapper.getDeserializationContext())
            .createDummyInstance(config);
    JsonDeserializer<Object> deser = ctxt.findRootValueDeserializer(mapper.constructType(type));
    if (deser.getClass() != BeanDeserializer.class) {
      return false;
    }
    ValueInstantiator vi = ((BeanDeserializer) deser).getValueInstantiator();
    if (names.length == 0) {
      // a record without components is read through its (canonical) no-argument constructor
      AnnotatedWithParams creator = vi.getDefaultCreator();
      return vi.canCreateUsingDefault()
          && creator != null
          && canonical.equals(creator.getAnnotated());
    }
    AnnotatedWithParams creator = vi.getWithArgsCreator();
    if (!vi.canCreateFromObjectWith()
        || creator == null
        || !canonical.equals(creator.getAnnotated())) {
      return false;
    }
    SettableBeanProperty[] args = vi.getFromObjectArguments(config);
    if (args == null || args.length != names.length) {
      return false;
    }
    for (int i = 0; i < names.length; i++) {
      if (!names[i].equals(args[i].getName())
          || args[i].getCreatorIndex() != i
          || args[i].hasValueTypeDeserializer()) {
        return false;
      }
    }
    return true;
  }

  /**
   * True when the class, a member of it, or one of its interfaces carries an annotation: Jackson
   * annotations (also as meta-annotations or on an interface) can change how a record is read in
   * ways the checks above do not see, so annotated classes are left to Jackson altogether.
   */
  private static boolean annotated(Class<?> type) {
    Deque<Class<?>> todo = new ArrayDeque<>();
    todo.add(type);
    while (!todo.isEmpty()) {
      Class<?> c = todo.remove();
      if (has(c)) {
        return true;
      }
      for (AnnotatedElement e : c.getDeclaredFields()) {
        if (has(e)) {
          return true;
        }
      }
      for (Executable e : c.getDeclaredMethods()) {
        if (has(e)) {
          return true;
        }
      }
      for (Executable e : c.getDeclaredConstructors()) {
        if (has(e)) {
          return true;
        }
      }
      if (c.isRecord()) {
        for (RecordComponent rc : c.getRecordComponents()) {
          if (has(rc)) {
            return true;
          }
        }
      }
      for (Class<?> i : c.getInterfaces()) {
        todo.add(i);
      }
    }
    return false;
  }

  private static boolean has(AnnotatedElement e) {
    if (e.getAnnotations().length > 0) {
      return true;
    }
    if (e instanceof Executable x) {
      for (var params : x.getParameterAnnotations()) {
        if (params.length > 0) {
          return true;
        }
      }
    }
    return false;
  }
}
