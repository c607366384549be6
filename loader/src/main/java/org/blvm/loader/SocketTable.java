package org.blvm.loader;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Which TCP sockets exist and are still held by some process, from the kernel's tables of the
 * loader's network namespace ({@code /proc/net/tcp}, {@code /proc/net/tcp6}): a socket's inode is
 * listed there while any descriptor refers to it (in any process, or in flight in a Unix socket);
 * once the last one is closed the kernel lists it with inode 0 (an orphan finishing its close) or
 * not at all. This is how the broker learns that a module closed a connection it was handed.
 */
final class SocketTable {
  private static final List<Path> TABLES =
      List.of(Path.of("/proc/net/tcp"), Path.of("/proc/net/tcp6"));

  private SocketTable() {}

  /** The inode of the socket behind {@code fd} in this process, or -1 when it cannot be read. */
  static long inodeOf(int fd) {
    try {
      String link = Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd)).toString();
      if (link.startsWith("socket:[") && link.endsWith("]")) {
        return Long.parseLong(link.substring(8, link.length() - 1));
      }
    } catch (IOException | RuntimeException e) {
      // fall through
    }
    return -1;
  }

  /** The inodes of every held TCP socket, or null when the tables cannot be read. */
  static Set<Long> heldInodes() {
    Set<Long> inodes = new HashSet<>();
    try {
      for (Path table : TABLES) {
        if (!Files.exists(table)) {
          continue;
        }
        List<String> lines = Files.readAllLines(table);
        for (int i = 1; i < lines.size(); i++) {
          String[] f = lines.get(i).trim().split("\\s+");
          if (f.length > 9) {
            long inode = Long.parseLong(f[9]);
            if (inode != 0) {
              inodes.add(inode);
            }
          }
        }
      }
    } catch (IOException | RuntimeException e) {
      return null;
    }
    return inodes;
  }
}
