package org.blvm.sandbox;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * Turns a launch description ({@link SandboxSpec}) into bubblewrap's argv, and the descriptors that
 * argv names into the plan of the child's descriptors: what the sandbox shows (the host's libraries
 * and loader read-only, a synthetic passwd and group, /proc, /dev, a 64 MiB /tmp, the module's
 * paths bound through descriptors opened here without following links, a read-only root) and what
 * it takes away (every namespace, user namespaces inside, capabilities, the environment, which is
 * passed through a descriptor, never on the command line). The launch itself is {@link
 * BubblewrapSandbox}'s.
 */
final class BwrapArgv {
  private static final System.Logger LOG = System.getLogger("blvm.sandbox");

  /** bwrap's --info-fd in the child's descriptor plan. */
  static final int FD_INFO = 3;

  /** bwrap's --block-fd in the child's descriptor plan. */
  static final int FD_BLOCK = 4;

  /** bwrap's --seccomp in the child's descriptor plan. */
  static final int FD_SECCOMP = 5;

  private static final Map<Path, List<Path>> JDK_ETC = new ConcurrentHashMap<>();

  /** The host's library directories, bound read-only into every sandbox. */
  private static final List<String> SYSTEM_LIBRARIES =
      List.of("/usr/lib", "/usr/lib64", "/usr/lib32");

  /** At most this many links in a system library directory recreated instead of bound. */
  static final int MAX_LINKS_ONLY = 16;

  private BwrapArgv() {}

  /**
   * bwrap's arguments (without bwrap itself) for {@code spec}, running as {@code uid}/{@code gid}
   * inside. {@code childFds} holds the descriptor plan's fixed part on entry (index = the
   * descriptor's number in bwrap: 0 stdin, 1 and 2 output, {@link #FD_INFO}, {@link #FD_BLOCK},
   * {@link #FD_SECCOMP}); every descriptor the arguments name beyond those (the environment, the
   * passwd and group data, the bound paths) is opened here, appended to {@code childFds} and to
   * {@code toClose}, which the caller closes once bwrap is spawned or the launch failed.
   *
   * @throws IOException when a path to bind cannot be opened or a link read
   */
  static List<String> build(
      SandboxSpec spec, int uid, int gid, List<Integer> childFds, List<Integer> toClose)
      throws IOException {
    List<String> a = new ArrayList<>();
    a.add("--unshare-all");
    a.add("--unshare-user");
    a.add("--disable-userns");
    if (spec.network()) {
      a.add("--share-net");
    }
    a.addAll(List.of("--die-with-parent", "--new-session", "--cap-drop", "ALL", "--clearenv"));
    // The environment may hold secrets (a launch token): bwrap reads it from a descriptor (--args,
    // NUL-separated arguments), never from its command line, which every user can read.
    if (!spec.environment().isEmpty()) {
      StringBuilder env = new StringBuilder();
      for (Map.Entry<String, String> e : spec.environment().entrySet()) {
        env.append("--setenv\0").append(e.getKey()).append('\0').append(e.getValue()).append('\0');
      }
      a.addAll(List.of("--args", "" + dataFd("blvm-env", env.toString(), childFds, toClose)));
    }
    // runtime: libraries, the loader, and nothing of the host's /etc beyond what is named
    for (String top : List.of("/lib", "/lib64", "/lib32", "/libx32", "/bin", "/sbin")) {
      Path p = Path.of(top);
      if (Files.isSymbolicLink(p)) {
        a.addAll(List.of("--symlink", Files.readSymbolicLink(p).toString(), top));
      } else if (Files.isDirectory(p)) {
        a.addAll(List.of("--ro-bind", top, top));
      }
    }
    List<String> bound = new ArrayList<>();
    for (String dir : SYSTEM_LIBRARIES) {
      Path d = Path.of(dir);
      if (Files.isDirectory(d, LinkOption.NOFOLLOW_LINKS)) {
        List<String[]> links = linksOnly(d);
        if (links == null) {
          a.addAll(List.of("--ro-bind", dir, dir));
          bound.add(dir);
        } else {
          // a directory of symbolic links only (Debian's /usr/lib64: the dynamic linker's name)
          // is recreated inside, link by link, instead of being mounted
          for (String[] l : links) {
            a.addAll(List.of("--symlink", l[1], l[0]));
          }
        }
      }
    }
    // small files copied into the sandbox's root, which is made read-only before the program
    // runs: no mount each, unlike a bind
    for (String f : List.of("/etc/ld.so.cache", "/etc/localtime")) {
      int fd = fileFd(f, childFds, toClose);
      if (fd >= 0) {
        a.addAll(List.of("--perms", "0444", "--file", "" + fd, f));
      }
    }
    if (spec.runtime() == SandboxSpec.Runtime.JAVA) {
      Path home = spec.executable().toRealPath().getParent().getParent();
      if (!home.startsWith("/usr/lib")) {
        a.addAll(List.of("--ro-bind", home.toString(), home.toString()));
      }
      for (Path etc : jdkEtc(home)) {
        a.addAll(List.of("--ro-bind", etc.toString(), etc.toString()));
      }
    }
    // a synthetic passwd/group naming only the sandbox user: the host's are not shown, and JDK 17
    // (UnixSystem, user.name) needs getpwuid() to succeed to report the uid at all
    String passwd = "blvm:x:" + uid + ":" + gid + ":blvm module:/nonexistent:/usr/sbin/nologin\n";
    a.addAll(
        List.of(
            "--perms",
            "0444",
            "--file",
            "" + dataFd("blvm-etc", passwd, childFds, toClose),
            "/etc/passwd"));
    String group = "blvm:x:" + gid + ":\n";
    a.addAll(
        List.of(
            "--perms",
            "0444",
            "--file",
            "" + dataFd("blvm-etc", group, childFds, toClose),
            "/etc/group"));
    a.addAll(
        List.of(
            "--proc",
            "/proc",
            "--dev",
            "/dev",
            "--size",
            String.valueOf(64L << 20),
            "--tmpfs",
            "/tmp"));
    // module paths: opened here (as the loader, without following a link) and handed over as
    // descriptors; a path already inside the system directories bound above needs no bind of its
    // own
    for (Path p : spec.readOnly()) {
      if (!underSystemBind(p, bound)) {
        a.addAll(
            List.of("--ro-bind-fd", String.valueOf(pathFd(p, childFds, toClose)), p.toString()));
      }
    }
    for (Path p : spec.readWrite()) {
      a.addAll(List.of("--bind-fd", String.valueOf(pathFd(p, childFds, toClose)), p.toString()));
    }
    if (spec.socketDir() != null) {
      a.addAll(
          List.of(
              "--bind-fd",
              String.valueOf(pathFd(spec.socketDir(), childFds, toClose)),
              SandboxSpec.SOCKET_DIR));
    }
    // the sandbox's root is a tmpfs: read-only, so it cannot be used to pin memory
    a.addAll(List.of("--remount-ro", "/"));
    a.addAll(List.of("--chdir", spec.workDir().toString()));
    a.addAll(
        List.of(
            "--info-fd", "" + FD_INFO, "--block-fd", "" + FD_BLOCK, "--seccomp", "" + FD_SECCOMP));
    a.add("--");
    a.add(spec.executable().toString());
    a.addAll(spec.args());
    return a;
  }

  /** Whether {@code p} lies inside one of the system directories {@code bound} read-only. */
  private static boolean underSystemBind(Path p, List<String> bound) {
    for (String dir : bound) {
      if (p.startsWith(dir)) {
        return true;
      }
    }
    return false;
  }

  /**
   * The entries of {@code dir} as (path, link target) pairs when it holds symbolic links only, at
   * most {@link #MAX_LINKS_ONLY}; null when it holds anything else, more, or cannot be read (then
   * it is bound as it is). Read at every launch: a package that adds a library there is seen at the
   * next one.
   */
  static List<String[]> linksOnly(Path dir) {
    List<String[]> links = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
      for (Path e : ds) {
        if (links.size() >= MAX_LINKS_ONLY || !Files.isSymbolicLink(e)) {
          return null;
        }
        links.add(new String[] {e.toString(), Files.readSymbolicLink(e).toString()});
      }
    } catch (IOException | RuntimeException e) {
      return null;
    }
    return links.isEmpty() ? null : links;
  }

  /**
   * A descriptor of the host file {@code path} (links followed, as a bind would) for bwrap to copy;
   * -1 when it does not exist.
   */
  private static int fileFd(String path, List<Integer> childFds, List<Integer> toClose)
      throws NativeException {
    int fd;
    try {
      fd = Libc.open(path, Libc.O_RDONLY, 0);
    } catch (NativeException e) {
      if (e.errno() == Libc.ENOENT) {
        return -1;
      }
      throw e;
    }
    toClose.add(fd);
    childFds.add(fd);
    return childFds.size() - 1;
  }

  /** A memfd holding {@code content}, passed to bwrap; returns its number in bwrap. */
  private static int dataFd(
      String name, String content, List<Integer> childFds, List<Integer> toClose)
      throws NativeException {
    int fd = Libc.memfd(name);
    toClose.add(fd);
    Libc.write(fd, content.getBytes(StandardCharsets.UTF_8));
    Libc.rewind(fd);
    childFds.add(fd);
    return childFds.size() - 1;
  }

  private static int pathFd(Path p, List<Integer> childFds, List<Integer> toClose)
      throws NativeException {
    int fd = Libc.open(p.toString(), Libc.O_PATH | Libc.O_NOFOLLOW, 0);
    toClose.add(fd);
    childFds.add(fd);
    return childFds.size() - 1;
  }

  /** Directories outside the JDK that its symlinks point into (Debian: /etc/java-17-openjdk). */
  private static List<Path> jdkEtc(Path home) {
    return JDK_ETC.computeIfAbsent(
        home,
        h -> {
          Set<Path> dirs = new LinkedHashSet<>();
          try (Stream<Path> s = Files.walk(h, 4)) {
            s.filter(Files::isSymbolicLink)
                .forEach(
                    l -> {
                      try {
                        Path t = l.toRealPath();
                        if (!t.startsWith(h)
                            && !t.startsWith("/usr/lib")
                            && t.getParent() != null) {
                          dirs.add(Files.isDirectory(t) ? t : t.getParent());
                        }
                      } catch (IOException e) {
                        // dangling link: nothing to bind
                      }
                    });
          } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot scan JDK {0}: {1}", h, e);
          }
          return List.copyOf(dirs);
        });
  }
}
