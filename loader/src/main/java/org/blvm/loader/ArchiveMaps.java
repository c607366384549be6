package org.blvm.loader;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Whether a running JVM maps a class-data archive, from {@code /proc/PID/maps}: a JVM lists the
 * archive's file there (by its path inside the JVM's sandbox, which is its host path: the loader
 * binds it there) only when it uses it. Reading another process's maps needs ptrace read access:
 * the loader has it as root, and as another user for its own uid's processes, also inside the user
 * namespace bwrap made for them.
 */
final class ArchiveMaps {
  /** The most of a process's maps read (a JVM's are about 100 KiB). */
  static final int MAX_BYTES = 8 << 20;

  private ArchiveMaps() {}

  /**
   * Whether process {@code pid} maps {@code file}; empty when that cannot be told: its maps cannot
   * be read (gone, or not readable by this process), or they do not list the JVM's own library (a
   * process that exited lists nothing, a read cut short may not reach it; the JVM maps an archive
   * below its library's addresses, and maps are listed by address).
   */
  static Optional<Boolean> mapped(long pid, Path file) {
    String maps;
    try (InputStream in = Files.newInputStream(Path.of("/proc", Long.toString(pid), "maps"))) {
      maps = new String(in.readNBytes(MAX_BYTES), StandardCharsets.UTF_8);
    } catch (IOException | SecurityException e) {
      return Optional.empty();
    }
    boolean jvm = false;
    String want = file.toString();
    for (String line : maps.split("\n")) {
      int slash = line.indexOf('/');
      if (slash < 0) {
        continue;
      }
      String path = line.substring(slash);
      if (path.equals(want) || path.equals(want + " (deleted)")) {
        return Optional.of(true);
      }
      jvm |= path.endsWith("/libjvm.so");
    }
    return jvm ? Optional.of(false) : Optional.empty();
  }
}
