package org.blvm.loader;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.blvm.sandbox.ResourceLimits;

/**
 * Everything a {@link ModuleLauncher} needs to start one module process, in structured form: each
 * launcher builds its own command line (or sandbox) from it and never parses one back.
 *
 * @param moduleId the module's name
 * @param entry what runs: a native binary, a JVM with a jar (every JVM option already decided), or
 *     an interpreter with a script
 * @param arguments the module's own arguments, after the entry (its manifest's {@code args})
 * @param socketDir the private host directory holding the module's listening socket
 * @param socketName the socket's file name in {@code socketDir}
 * @param dataDir the module's own writable directory (its host path; a sandbox binds it there)
 * @param readOnlyBinds what the module may read besides the system's libraries, each at its host
 *     path: the verified copy of its files in the admission store (never the module directory), for
 *     an interpreted module the interpreter and its library, and with network_connect the system's
 *     CA certificates
 * @param outputLog where the loader writes the module's stdout and stderr, which it reads through a
 *     pipe (rotated by size, written with the loader's budget, never the module's)
 * @param confinement the sandbox profile and resource limits, decided for this module
 * @param token the one-time launch token the module presents in its hello (never logged)
 */
public record LaunchSpec(
    String moduleId,
    Entry entry,
    List<String> arguments,
    Path socketDir,
    String socketName,
    Path dataDir,
    List<Path> readOnlyBinds,
    Path outputLog,
    Confinement confinement,
    String token) {

  /** How the module's code is run. */
  public enum Runtime {
    NATIVE,
    JAVA,
    /** A script run by an interpreter (python3, node). */
    INTERPRETED
  }

  /**
   * What runs.
   *
   * @param runtime native executable, JVM, or interpreter
   * @param executable NATIVE: the verified binary; JAVA: the java launcher; INTERPRETED: the
   *     interpreter
   * @param program JAVA: the verified jar; INTERPRETED: the verified script; null for NATIVE
   * @param mainClass JAVA: the class to run from the jar, or null to run the jar ({@code -jar})
   * @param options JAVA: every JVM option; INTERPRETED: the interpreter's options; in order (empty
   *     for NATIVE)
   */
  public record Entry(
      Runtime runtime, Path executable, Path program, String mainClass, List<String> options) {
    public Entry {
      Objects.requireNonNull(runtime, "runtime");
      absolute("executable", executable);
      options = List.copyOf(options);
      if (runtime != Runtime.NATIVE) {
        absolute("program", program);
      } else if (program != null || !options.isEmpty()) {
        throw new IllegalArgumentException("a native entry has no program or options");
      }
      if (mainClass != null && runtime != Runtime.JAVA) {
        throw new IllegalArgumentException("only a JVM entry has a main class");
      }
    }

    public static Entry nativeBinary(Path binary) {
      return new Entry(Runtime.NATIVE, binary, null, null, List.of());
    }

    public static Entry jvm(Path java, Path jar, String mainClass, List<String> jvmOptions) {
      return new Entry(Runtime.JAVA, java, jar, mainClass, jvmOptions);
    }

    public static Entry interpreted(Path interpreter, List<String> options, Path script) {
      return new Entry(Runtime.INTERPRETED, interpreter, script, null, options);
    }

    /**
     * The arguments after {@link #executable}: for JAVA the JVM options, then {@code -cp jar main}
     * or {@code -jar jar}; for INTERPRETED the interpreter's options, then the script; then {@code
     * moduleArguments}.
     */
    public List<String> arguments(List<String> moduleArguments) {
      List<String> a = new ArrayList<>(options);
      if (runtime == Runtime.JAVA) {
        if (mainClass != null) {
          a.addAll(List.of("-cp", program.toString(), mainClass));
        } else {
          a.addAll(List.of("-jar", program.toString()));
        }
      } else if (runtime == Runtime.INTERPRETED) {
        a.add(program.toString());
      }
      a.addAll(moduleArguments);
      return a;
    }
  }

  /**
   * How the module is confined: applied by the sandbox launcher; a plain launcher applies none of
   * it and says so.
   *
   * @param profile the seccomp profile's name (in native-profiles/)
   * @param limits the kernel resource limits
   * @param network whether the module shares the host's network namespace (policy {@code network =
   *     "host"}); otherwise its network is only what the broker hands it
   * @param policySettings the policy keys, as written in the file ({@code "sandbox_profile"},
   *     {@code "limits.open_files"} …), that decided part of this; the rest is the loader's default
   */
  public record Confinement(
      String profile, ResourceLimits limits, boolean network, List<String> policySettings) {
    public Confinement {
      Objects.requireNonNull(profile, "profile");
      Objects.requireNonNull(limits, "limits");
      policySettings = List.copyOf(policySettings);
    }

    /** Whether the policy named the profile (else it is the loader's default). */
    public boolean profileFromPolicy() {
      return policySettings.contains("sandbox_profile");
    }
  }

  public LaunchSpec {
    Objects.requireNonNull(moduleId, "moduleId");
    Objects.requireNonNull(entry, "entry");
    arguments = List.copyOf(arguments);
    absolute("socketDir", socketDir);
    Objects.requireNonNull(socketName, "socketName");
    absolute("dataDir", dataDir);
    readOnlyBinds = List.copyOf(readOnlyBinds);
    readOnlyBinds.forEach(p -> absolute("readOnlyBinds", p));
    absolute("outputLog", outputLog);
    Objects.requireNonNull(confinement, "confinement");
    Objects.requireNonNull(token, "token");
    if (socketName.isEmpty() || socketName.contains("/")) {
      throw new IllegalArgumentException("socketName must be a file name, found " + socketName);
    }
  }

  /** The socket's host path. */
  public Path socketPath() {
    return socketDir.resolve(socketName);
  }

  /**
   * The module's complete environment (nothing is inherited), given the path at which the module
   * sees its socket (inside a sandbox it differs from the host path).
   */
  public Map<String, String> environment(String moduleSocketPath) {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("BLVM_SOCKET", moduleSocketPath);
    env.put("BLVM_TOKEN", token);
    env.put("BLVM_DATA_DIR", dataDir.toString());
    env.put("HOME", dataDir.toString());
    env.put("PATH", "/usr/bin:/bin");
    env.put("LANG", "C.UTF-8");
    return env;
  }

  /** Never shows the token. */
  @Override
  public String toString() {
    return "LaunchSpec[moduleId="
        + moduleId
        + ", entry="
        + entry
        + ", arguments="
        + arguments
        + ", socket="
        + socketPath()
        + ", dataDir="
        + dataDir
        + ", readOnlyBinds="
        + readOnlyBinds
        + ", outputLog="
        + outputLog
        + ", confinement="
        + confinement
        + ", token=(redacted)]";
  }

  private static void absolute(String what, Path p) {
    if (p == null || !p.isAbsolute()) {
      throw new IllegalArgumentException(what + " must be an absolute path, found " + p);
    }
  }
}
