package org.blvm.sandbox;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What to run and how to confine it. Paths are host paths; read-only and read-write binds appear at
 * the same path inside the sandbox, the socket directory at {@link #SOCKET_DIR}.
 *
 * @param name a short name for threads and logs
 * @param runtime native executable, or a JVM program run by {@code executable} (a java binary)
 * @param executable absolute path of the program (for JAVA: the java launcher)
 * @param args arguments after the executable, exactly as given (for JAVA: the JVM options, such as
 *     -Xmx and, under RLIMIT_AS, its sizing flags, then -jar/-cp, main class, program arguments)
 * @param environment the complete environment inside the sandbox; it may hold secrets: it reaches
 *     bwrap through a descriptor, never its command line
 * @param readOnly host paths bound read-only (the verified binary's directory)
 * @param readWrite host paths bound read-write (the module's own data directory)
 * @param socketDir host directory bound read-write at {@link #SOCKET_DIR}
 * @param workDir working directory inside the sandbox
 * @param profile the seccomp profile
 * @param limits resource limits
 * @param network whether the sandbox shares the host network namespace (and may open AF_INET)
 * @param uid the host uid (also the gid) to run as, from {@link Sandbox#moduleUids()}; -1: the
 *     sandbox's own user ({@link Sandbox#hostUid()})
 */
public record SandboxSpec(
    String name,
    Runtime runtime,
    Path executable,
    List<String> args,
    Map<String, String> environment,
    List<Path> readOnly,
    List<Path> readWrite,
    Path socketDir,
    Path workDir,
    Profile profile,
    ResourceLimits limits,
    boolean network,
    int uid) {

  /** Where the socket directory appears inside every sandbox. */
  public static final String SOCKET_DIR = "/run/blvm";

  /** How the program is run. */
  public enum Runtime {
    NATIVE,
    JAVA
  }

  public SandboxSpec {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(runtime, "runtime");
    args = List.copyOf(args);
    environment = Map.copyOf(environment);
    readOnly = List.copyOf(readOnly);
    readWrite = List.copyOf(readWrite);
    Objects.requireNonNull(profile, "profile");
    Objects.requireNonNull(limits, "limits");
    if (uid < -1) {
      throw new IllegalArgumentException("uid must be -1 or a uid, found " + uid);
    }
    absolute("executable", executable);
    absolute("workDir", workDir);
    if (socketDir != null) {
      absolute("socketDir", socketDir);
    }
    readOnly.forEach(p -> absolute("readOnly", p));
    readWrite.forEach(p -> absolute("readWrite", p));
    environment.forEach(
        (k, v) -> {
          if (k.isEmpty() || k.indexOf('=') >= 0 || k.indexOf(0) >= 0 || v.indexOf(0) >= 0) {
            throw new IllegalArgumentException(
                "environment name must be non-empty without '=' or NUL, and values without NUL,"
                    + " found name \""
                    + k.replace("\0", "\\0")
                    + "\"");
          }
        });
    if (!name.matches("[A-Za-z0-9._-]{1,64}")) {
      throw new IllegalArgumentException(
          "name must be 1-64 of [A-Za-z0-9._-], found \"" + name + "\"");
    }
  }

  private static void absolute(String what, Path p) {
    if (p == null || !p.isAbsolute()) {
      throw new IllegalArgumentException(what + " must be an absolute path, found " + p);
    }
  }
}
