package org.blvm.sandbox;

import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import java.util.List;

/**
 * libseccomp through JNA: builds a filter and exports it as classic BPF into a memfd for bwrap's
 * {@code --seccomp}. Argument comparisons are passed as an array ({@code seccomp_rule_add_array}):
 * JNA cannot pass structs through varargs.
 */
final class Seccomp {
  static final int ACT_KILL_PROCESS = 0x80000000;
  static final int ACT_ALLOW = 0x7fff0000;
  static final int ACT_ERRNO = 0x00050000;

  static final int ARCH_NATIVE = 0;
  static final int FLTATR_ACT_BADARCH = 2;

  /** enum scmp_compare. */
  static final int CMP_NE = 1;

  static final int CMP_GE = 5;
  static final int CMP_GT = 6;
  static final int CMP_MASKED_EQ = 7;

  /** __NR_SCMP_ERROR: the name is unknown on this architecture. */
  static final int NR_SCMP_ERROR = -1;

  /** sizeof(struct scmp_arg_cmp): unsigned arg, enum op, uint64 a, uint64 b. */
  private static final int ARG_CMP_SIZE = 24;

  interface Lib extends Library {
    Pointer seccomp_init(int defAction);

    void seccomp_release(Pointer ctx);

    int seccomp_attr_set(Pointer ctx, int attr, int value);

    int seccomp_syscall_resolve_name(String name);

    int seccomp_rule_add_array(Pointer ctx, int action, int syscall, int argCnt, Pointer args);

    int seccomp_export_bpf(Pointer ctx, int fd);
  }

  private static final Lib LIB = load();

  private static Lib load() {
    try {
      return Native.load("seccomp", Lib.class);
    } catch (UnsatisfiedLinkError e) {
      return Native.load("libseccomp.so.2", Lib.class);
    }
  }

  private Seccomp() {}

  /** Forces loading the library (preflight); throws UnsatisfiedLinkError when it is missing. */
  static void requireLibrary() {
    LIB.seccomp_syscall_resolve_name("read");
  }

  static int resolve(String name) {
    return LIB.seccomp_syscall_resolve_name(name);
  }

  /** One argument comparison: {@code (arg[index] op a)} or, for masked_eq, {@code & a == b}. */
  record ArgCmp(int index, int op, long a, long b) {}

  /** A filter under construction; {@link #exportTo} writes the BPF. Not thread-safe. */
  static final class Filter implements AutoCloseable {
    private Pointer ctx;

    Filter(int defaultAction, int badArchAction) throws NativeException {
      ctx = LIB.seccomp_init(defaultAction);
      if (ctx == null) {
        throw new NativeException("seccomp_init", 0);
      }
      check(
          "seccomp_attr_set(ACT_BADARCH)",
          LIB.seccomp_attr_set(ctx, FLTATR_ACT_BADARCH, badArchAction));
    }

    void add(int action, int syscall, List<ArgCmp> args) throws NativeException {
      Memory m = null;
      if (!args.isEmpty()) {
        m = new Memory((long) ARG_CMP_SIZE * args.size());
        m.clear();
        for (int i = 0; i < args.size(); i++) {
          ArgCmp c = args.get(i);
          long off = (long) i * ARG_CMP_SIZE;
          m.setInt(off, c.index());
          m.setInt(off + 4, c.op());
          m.setLong(off + 8, c.a());
          m.setLong(off + 16, c.b());
        }
      }
      check(
          "seccomp_rule_add_array(syscall " + syscall + ")",
          LIB.seccomp_rule_add_array(ctx, action, syscall, args.size(), m));
    }

    void exportTo(int fd) throws NativeException {
      check("seccomp_export_bpf", LIB.seccomp_export_bpf(ctx, fd));
    }

    @Override
    public void close() {
      if (ctx != null) {
        LIB.seccomp_release(ctx);
        ctx = null;
      }
    }
  }

  private static void check(String what, int rc) throws NativeException {
    if (rc != 0) {
      throw new NativeException(what, -rc);
    }
  }
}
