package org.blvm.loader;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Reads the memory and CPU time of a process and its live descendants from {@code /proc}: {@code
 * /proc/<pid>/task/<tid>/children} to find descendants, {@code /proc/<pid>/stat} for CPU time
 * (utime, stime, cutime, cstime) and {@code /proc/<pid>/status} for {@code VmRSS}. The work is
 * bounded: at most {@link #MAX_PROCESSES} processes and {@link #MAX_TASKS} threads of each are
 * looked at, and each file read is small. A process that ends while it is read is skipped.
 */
final class ProcessTree {
  /** Processes looked at per tree. */
  static final int MAX_PROCESSES = 1024;

  /** Threads per process whose children are listed. */
  static final int MAX_TASKS = 1024;

  /** Clock ticks per second of /proc's CPU times (USER_HZ, 100 on Linux's ABI). */
  static final double USER_HZ = 100.0;

  /** Bytes read of a stat or status file. */
  private static final int MAX_FILE_BYTES = 16 * 1024;

  private final Path proc;

  ProcessTree(Path proc) {
    this.proc = proc;
  }

  static ProcessTree system() {
    return new ProcessTree(Path.of("/proc"));
  }

  /** The usage of {@code pid} and its descendants; empty when {@code pid} cannot be read. */
  Optional<ModuleMetrics.ProcessUsage> usage(long pid) {
    Set<Long> seen = new HashSet<>();
    ArrayDeque<Long> todo = new ArrayDeque<>();
    todo.add(pid);
    int processes = 0;
    long rssKb = 0;
    long ticks = 0;
    boolean rootRead = false;
    while (!todo.isEmpty() && seen.size() < MAX_PROCESSES) {
      long p = todo.poll();
      if (!seen.add(p)) {
        continue;
      }
      Path dir = proc.resolve(Long.toString(p));
      String stat = read(dir.resolve("stat"));
      if (stat == null) {
        continue; // ended meanwhile
      }
      long cpu = cpuTicks(stat);
      if (cpu < 0) {
        continue;
      }
      if (p == pid) {
        rootRead = true;
      }
      processes++;
      ticks += cpu;
      rssKb += rssKb(read(dir.resolve("status")));
      children(dir, todo);
    }
    if (!rootRead) {
      return Optional.empty();
    }
    return Optional.of(new ModuleMetrics.ProcessUsage(processes, rssKb * 1024, ticks / USER_HZ));
  }

  /**
   * {@code pid} and its live descendants, parents before children, at most {@link #MAX_PROCESSES}:
   * only this tree's {@code /proc/<pid>/task/<tid>/children} files are read, never another
   * process's. Empty when {@code pid} is gone.
   */
  List<Long> pids(long pid) {
    List<Long> out = new ArrayList<>();
    Set<Long> seen = new HashSet<>();
    ArrayDeque<Long> todo = new ArrayDeque<>();
    todo.add(pid);
    while (!todo.isEmpty() && out.size() < MAX_PROCESSES) {
      long p = todo.poll();
      if (!seen.add(p)) {
        continue;
      }
      Path dir = proc.resolve(Long.toString(p));
      if (p == pid && !Files.isDirectory(dir)) {
        return List.of();
      }
      out.add(p);
      children(dir, todo);
    }
    return out;
  }

  private void children(Path dir, ArrayDeque<Long> todo) {
    int tasks = 0;
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir.resolve("task"))) {
      for (Path task : ds) {
        if (++tasks > MAX_TASKS) {
          break;
        }
        String kids = read(task.resolve("children"));
        if (kids == null) {
          continue;
        }
        for (String k : kids.trim().split("\\s+")) {
          if (!k.isEmpty() && todo.size() < MAX_PROCESSES) {
            try {
              todo.add(Long.parseLong(k));
            } catch (NumberFormatException e) {
              // not a pid: ignored
            }
          }
        }
      }
    } catch (IOException e) {
      // ended meanwhile, or not readable: no children counted
    }
  }

  /**
   * utime + stime + cutime + cstime (fields 14–17) of a stat line, or -1 when it cannot be parsed.
   * The command name (field 2) is in parentheses and may hold spaces and parentheses, so the fields
   * are counted after its last closing parenthesis.
   */
  static long cpuTicks(String stat) {
    int close = stat.lastIndexOf(')');
    if (close < 0) {
      return -1;
    }
    String[] f = stat.substring(close + 1).trim().split("\\s+");
    // f[0] is field 3 (state): field n is f[n - 3]
    if (f.length < 15) {
      return -1;
    }
    try {
      long sum = 0;
      for (int field = 14; field <= 17; field++) {
        sum += Long.parseLong(f[field - 3]);
      }
      return sum;
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /** {@code VmRSS} in kB from a status file; 0 when absent (a kernel thread, a zombie). */
  static long rssKb(String status) {
    if (status == null) {
      return 0;
    }
    for (String line : status.split("\n")) {
      if (line.startsWith("VmRSS:")) {
        String[] f = line.substring(6).trim().split("\\s+");
        try {
          return Long.parseLong(f[0]);
        } catch (NumberFormatException e) {
          return 0;
        }
      }
    }
    return 0;
  }

  private static String read(Path file) {
    try (var in = Files.newInputStream(file)) {
      return new String(in.readNBytes(MAX_FILE_BYTES), StandardCharsets.US_ASCII);
    } catch (IOException e) {
      return null;
    }
  }
}
