package org.blvm.sandbox;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * A seccomp profile read from the documented JSON format of {@code native-profiles/} (see its
 * README): syscall names, actions {@code allow} / {@code errno:NAME} / {@code kill_process},
 * argument comparisons with explicit 32-bit masks, and rules that apply only with or without a
 * capability. Parsed strictly and validated on load; compiled to BPF at its first launch, once per
 * capability set, and handed to each sandbox as a sealed copy.
 */
public final class Profile {
  /** Capabilities a rule may be conditioned on. */
  public static final Set<String> CAPABILITIES = Set.of("network");

  private static final Map<String, Integer> ERRNOS =
      Map.of(
          "EPERM", 1,
          "EACCES", 13,
          "EINVAL", 22,
          "ENOSYS", 38,
          "EOPNOTSUPP", 95,
          "EAFNOSUPPORT", 97);

  private final String name;
  private final int defaultAction;
  private final int otherAbisAction;
  private final List<Rule> rules;

  private record Rule(
      List<String> syscalls,
      int action,
      String onlyWith,
      String onlyWithout,
      List<Seccomp.ArgCmp> args) {}

  private Profile(String name, int defaultAction, int otherAbisAction, List<Rule> rules) {
    this.name = name;
    this.defaultAction = defaultAction;
    this.otherAbisAction = otherAbisAction;
    this.rules = List.copyOf(rules);
  }

  /** The profile's name. */
  public String name() {
    return name;
  }

  /** The shipped profiles read so far (they are resources of this jar: they cannot change). */
  private static final Map<String, Profile> SHIPPED =
      new java.util.concurrent.ConcurrentHashMap<>();

  /**
   * A profile shipped with the sandbox ({@code default}, {@code strict}); read and checked once per
   * process (profiles are immutable).
   */
  public static Profile named(String name) throws ProfileException {
    if (!name.matches("[a-z][a-z0-9-]{0,40}")) {
      throw new ProfileException(name, "is not a profile name");
    }
    Profile known = SHIPPED.get(name);
    if (known != null) {
      return known;
    }
    Profile read = read(name);
    SHIPPED.putIfAbsent(name, read);
    return read;
  }

  private static Profile read(String name) throws ProfileException {
    try (InputStream in = Profile.class.getResourceAsStream("profiles/" + name + ".json")) {
      if (in == null) {
        throw new ProfileException(name, "no such profile (shipped: default, strict)");
      }
      return parse(name, new String(in.readNBytes(1 << 20), StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new ProfileException(name, "cannot be read: " + e.getMessage());
    }
  }

  /** Parses and validates a profile; every syscall name must be known on this architecture. */
  public static Profile parse(String source, String json) throws ProfileException {
    try {
      Map<String, Object> root = obj(Json.parse(json), "profile");
      keys(
          root,
          "profile",
          Set.of("profile", "description", "default_action", "other_abis", "rules"));
      String name = str(root, "profile");
      str(root, "description");
      int def = action(str(root, "default_action"));
      int other = action(str(root, "other_abis"));
      List<Rule> rules = new ArrayList<>();
      List<?> list = list(root.get("rules"), "rules");
      for (int k = 0; k < list.size(); k++) {
        rules.add(rule(obj(list.get(k), "rules[" + k + "]"), "rules[" + k + "]", def));
      }
      return new Profile(name, def, other, rules);
    } catch (IllegalArgumentException e) {
      throw new ProfileException(source, e.getMessage());
    }
  }

  private static Rule rule(Map<String, Object> r, String where, int def) {
    keys(r, where, Set.of("syscalls", "action", "args", "only_with", "only_without", "why"));
    List<String> names = new ArrayList<>();
    for (Object o : list(r.get("syscalls"), where + ".syscalls")) {
      if (!(o instanceof String)) {
        throw new IllegalArgumentException(where + ".syscalls: expected names, found " + o);
      }
      String n = (String) o;
      if (Seccomp.resolve(n) == Seccomp.NR_SCMP_ERROR) {
        throw new IllegalArgumentException(where + ": unknown syscall \"" + n + "\"");
      }
      names.add(n);
    }
    if (names.isEmpty()) {
      throw new IllegalArgumentException(where + ".syscalls is empty");
    }
    int action = action(str(r, "action"));
    if (action == def) {
      throw new IllegalArgumentException(
          where + ": action " + r.get("action") + " equals the default action");
    }
    str(r, "why");
    String with = optCap(r, "only_with", where);
    String without = optCap(r, "only_without", where);
    if (with != null && without != null) {
      throw new IllegalArgumentException(where + ": only_with and only_without both set");
    }
    List<Seccomp.ArgCmp> args = new ArrayList<>();
    if (r.containsKey("args")) {
      List<?> a = list(r.get("args"), where + ".args");
      for (int k = 0; k < a.size(); k++) {
        args.add(
            arg(
                obj(a.get(k), where + ".args[" + k + "]"),
                where + ".args[" + k + "]",
                action,
                def));
      }
    }
    return new Rule(names, action, with, without, args);
  }

  private static Seccomp.ArgCmp arg(Map<String, Object> a, String where, int action, int def) {
    keys(a, where, Set.of("index", "op", "mask", "value"));
    long index = num(a.get("index"), where + ".index");
    if (index < 0 || index > 5) {
      throw new IllegalArgumentException(where + ".index must be 0..5, found " + index);
    }
    String op = str(a, "op");
    long value = num(a.get("value"), where + ".value");
    switch (op) {
      case "masked_eq":
        if (!a.containsKey("mask")) {
          throw new IllegalArgumentException(
              where + ": masked_eq needs an explicit mask (0xFFFFFFFF for an int argument)");
        }
        long mask = num(a.get("mask"), where + ".mask");
        if ((value & ~mask) != 0) {
          throw new IllegalArgumentException(where + ": value has bits outside the mask");
        }
        return new Seccomp.ArgCmp((int) index, Seccomp.CMP_MASKED_EQ, mask, value);
      case "ne":
      case "gt":
      case "ge":
        if (a.containsKey("mask")) {
          throw new IllegalArgumentException(where + ": mask is only for masked_eq");
        }
        if (action == Seccomp.ACT_ALLOW && def != Seccomp.ACT_ALLOW) {
          throw new IllegalArgumentException(
              where
                  + ": "
                  + op
                  + " compares all 64 bits and fails open in an allow rule; use masked_eq");
        }
        int cmp =
            op.equals("ne") ? Seccomp.CMP_NE : op.equals("gt") ? Seccomp.CMP_GT : Seccomp.CMP_GE;
        return new Seccomp.ArgCmp((int) index, cmp, value, 0);
      default:
        throw new IllegalArgumentException(
            where
                + ".op must be masked_eq, ne, gt or ge, found \""
                + op
                + "\" (eq/lt/le compare 64 bits and are bypassed through the upper half)");
    }
  }

  private static String optCap(Map<String, Object> r, String key, String where) {
    if (!r.containsKey(key)) {
      return null;
    }
    Object v = r.get(key);
    if (!(v instanceof String) || !CAPABILITIES.contains(v)) {
      throw new IllegalArgumentException(
          where + "." + key + " must be one of " + CAPABILITIES + ", found " + v);
    }
    return (String) v;
  }

  static int action(String a) {
    if (a.equals("allow")) {
      return Seccomp.ACT_ALLOW;
    }
    if (a.equals("kill_process")) {
      return Seccomp.ACT_KILL_PROCESS;
    }
    if (a.startsWith("errno:")) {
      Integer e = ERRNOS.get(a.substring(6));
      if (e == null) {
        throw new IllegalArgumentException(
            "unknown errno in \"" + a + "\"; known: " + ERRNOS.keySet());
      }
      return Seccomp.ACT_ERRNO | e;
    }
    throw new IllegalArgumentException(
        "action must be allow, kill_process or errno:NAME, found \"" + a + "\"");
  }

  /**
   * Compiles the profile for a sandbox granted {@code capabilities} into a sealed memfd holding the
   * BPF program, positioned at its start.
   */
  int compileToMemfd(Set<String> capabilities) throws NativeException {
    return Libc.sealedMemfd("blvm-seccomp-" + name, compiled(capabilities));
  }

  /** At most this many compiled filters are kept (profiles × capability sets in use). */
  static final int MAX_COMPILED = 64;

  /** What a compiled filter depends on: everything of the profile, and the capabilities. */
  private record CompiledKey(
      String name, int defaultAction, int otherAbisAction, List<Rule> rules, Set<String> caps) {}

  /**
   * Compiled filters, kept in this process's memory only: a sandbox gets each launch a sealed memfd
   * with a copy ({@link #compileToMemfd}), never this array.
   */
  private static final Map<CompiledKey, byte[]> COMPILED =
      new java.util.concurrent.ConcurrentHashMap<>();

  /** The classic BPF of this profile with {@code capabilities}, compiled once per process. */
  private byte[] compiled(Set<String> capabilities) throws NativeException {
    CompiledKey key =
        new CompiledKey(name, defaultAction, otherAbisAction, rules, Set.copyOf(capabilities));
    byte[] bpf = COMPILED.get(key);
    if (bpf == null) {
      bpf = compileFresh(capabilities);
      if (COMPILED.size() < MAX_COMPILED) {
        COMPILED.putIfAbsent(key, bpf);
      }
    }
    return bpf;
  }

  /** Compiles the filter with libseccomp, without the cache. */
  byte[] compileFresh(Set<String> capabilities) throws NativeException {
    int fd = Libc.memfd("blvm-seccomp-" + name);
    try (Seccomp.Filter f = new Seccomp.Filter(defaultAction, otherAbisAction)) {
      for (Rule r : rules) {
        if (r.onlyWith() != null && !capabilities.contains(r.onlyWith())) {
          continue;
        }
        if (r.onlyWithout() != null && capabilities.contains(r.onlyWithout())) {
          continue;
        }
        for (String s : r.syscalls()) {
          f.add(r.action(), Seccomp.resolve(s), r.args());
        }
      }
      f.exportTo(fd);
      Libc.rewind(fd);
      java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
      byte[] buf = new byte[8192];
      for (int n; (n = Libc.read(fd, buf)) > 0; ) {
        out.write(buf, 0, n);
        if (out.size() > MAX_BPF_BYTES) {
          throw new NativeException("seccomp filter over " + MAX_BPF_BYTES + " bytes", 0);
        }
      }
      return out.toByteArray();
    } finally {
      Libc.closeQuietly(fd);
    }
  }

  /** The kernel's limit: 4096 instructions of 8 bytes. */
  private static final int MAX_BPF_BYTES = 4096 * 8;

  // ------------------------------------------------------------------ JSON helpers

  @SuppressWarnings("unchecked")
  private static Map<String, Object> obj(Object o, String where) {
    if (!(o instanceof Map)) {
      throw new IllegalArgumentException(where + " must be an object");
    }
    return (Map<String, Object>) o;
  }

  private static List<?> list(Object o, String where) {
    if (!(o instanceof List)) {
      throw new IllegalArgumentException(where + " must be an array");
    }
    return (List<?>) o;
  }

  private static void keys(Map<String, Object> m, String where, Set<String> allowed) {
    for (String k : m.keySet()) {
      if (!allowed.contains(k)) {
        throw new IllegalArgumentException(where + ": unknown key \"" + k + "\"");
      }
    }
  }

  private static String str(Map<String, Object> m, String key) {
    Object v = m.get(key);
    if (!(v instanceof String)) {
      throw new IllegalArgumentException("\"" + key + "\" must be a string, found " + v);
    }
    return (String) v;
  }

  private static long num(Object v, String where) {
    if (v instanceof Long) {
      return (Long) v;
    }
    if (v instanceof String) {
      String t = ((String) v).toLowerCase(Locale.ROOT);
      if (t.startsWith("0x") && t.length() > 2 && t.length() <= 18) {
        return Long.parseUnsignedLong(t.substring(2), 16);
      }
    }
    throw new IllegalArgumentException(
        where + " must be an integer or a \"0x…\" string, found " + v);
  }

  @Override
  public String toString() {
    return "Profile[" + name + ", " + rules.size() + " rules]";
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Profile
        && ((Profile) o).name.equals(name)
        && ((Profile) o).rules.equals(rules);
  }

  @Override
  public int hashCode() {
    return Objects.hash(name, rules);
  }
}
