package org.blvm.loader;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * A module's stdout and stderr, read by the loader from a pipe and written to the module's log
 * ({@link RotatingLog}) with the loader's budget, not the module's rlimits.
 *
 * <p>One reader thread per module ({@code blvm-<module>-output}) drains the pipe at once into a
 * bounded queue ({@link #PENDING_BYTES}); one writer thread for all modules ({@code
 * blvm-output-writer}) writes the queues to disk. A module is therefore never blocked by a slow
 * disk: when its queue is full, what it writes is dropped and counted, and a line in the log says
 * how much. A write error (a full disk) drops the chunk, is counted and logged once, and the next
 * chunk tries again. The last {@link #TAIL_BYTES} bytes are kept in memory for the crash report.
 * Memory per module: the queue, the tail and an 8 KiB read buffer.
 */
final class ModuleOutput {
  private static final System.Logger LOG = System.getLogger("blvm.loader.output");

  /** Size of one log file before it is rotated. */
  static final long MAX_FILE_BYTES = 4L << 20;

  /** Rotated files kept besides the current one. */
  static final int KEEP_FILES = 3;

  /** Output read but not yet written, per module, before more is dropped. */
  static final int PENDING_BYTES = 256 << 10;

  /** The end of the output kept for the crash report. */
  static final int TAIL_BYTES = 4096;

  /** Lines and characters of the tail that go into a status detail. */
  private static final int DETAIL_LINES = 5;

  private static final int DETAIL_CHARS = 600;

  private static final ExecutorService WRITER =
      Executors.newSingleThreadExecutor(
          r -> {
            Thread t = new Thread(r, "blvm-output-writer");
            t.setDaemon(true);
            return t;
          });

  private final String module;
  private final InputStream in;
  private final RotatingLog log;
  private final int pendingLimit;
  private final java.util.concurrent.Executor writer;
  private final Object lock = new Object();
  private final CompletableFuture<Void> written = new CompletableFuture<>();

  /** Bytes to write; {@code done}, for the loader's own lines, completes once they are written. */
  private record Chunk(byte[] bytes, CompletableFuture<Void> done) {}

  // guarded by lock
  private final ArrayDeque<Chunk> pending = new ArrayDeque<>();
  private long pendingBytes;
  private long peakPendingBytes;
  private long droppedSinceMark;
  private long droppedTotal;
  private boolean drainScheduled;
  private boolean ended;
  private final byte[] tail = new byte[TAIL_BYTES];
  private int tailLength;

  // writer thread only
  private boolean failing;

  private ModuleOutput(
      String module,
      InputStream in,
      RotatingLog log,
      int pendingLimit,
      java.util.concurrent.Executor writer) {
    this.module = module;
    this.in = in;
    this.log = log;
    this.pendingLimit = pendingLimit;
    this.writer = writer;
  }

  /**
   * Starts pumping {@code in} into {@code log}, written by {@code writer} (one thread); {@code
   * header} is the log's first new line.
   */
  static ModuleOutput start(
      String module,
      InputStream in,
      RotatingLog log,
      int pendingLimit,
      String header,
      java.util.concurrent.Executor writer) {
    ModuleOutput o = new ModuleOutput(module, in, log, pendingLimit, writer);
    o.note(header);
    Thread t = new Thread(o::readLoop, "blvm-" + module + "-output");
    t.setDaemon(true);
    t.start();
    return o;
  }

  static ModuleOutput start(String module, InputStream in, java.nio.file.Path file, String header) {
    return start(
        module,
        in,
        new RotatingLog(file, MAX_FILE_BYTES, KEEP_FILES),
        PENDING_BYTES,
        header,
        WRITER);
  }

  private void readLoop() {
    byte[] buf = new byte[8192];
    try (in) {
      while (true) {
        int n = in.read(buf, 0, buf.length);
        if (n < 0) {
          break;
        }
        if (n > 0) {
          offer(new Chunk(java.util.Arrays.copyOf(buf, n), null));
        }
      }
    } catch (IOException e) {
      LOG.log(System.Logger.Level.WARNING, "module {0}: reading its output failed: {1}", module, e);
    } finally {
      boolean schedule;
      synchronized (lock) {
        ended = true;
        schedule = !drainScheduled;
        drainScheduled = true;
      }
      if (schedule) {
        writer.execute(this::drain);
      }
    }
  }

  /**
   * A line of the loader's own in the log (header, trailer), never dropped for lack of room.
   *
   * @return completes once it is written (or could not be)
   */
  CompletableFuture<Void> note(String line) {
    Chunk c =
        new Chunk(
            ("--- " + line + " ---\n").getBytes(StandardCharsets.UTF_8), new CompletableFuture<>());
    offer(c);
    return c.done();
  }

  private void offer(Chunk chunk) {
    boolean schedule;
    synchronized (lock) {
      int n = chunk.bytes().length;
      if (chunk.done() == null) {
        keepTail(chunk.bytes());
        if (pendingBytes + n > pendingLimit) {
          droppedSinceMark += n;
          droppedTotal += n;
          return;
        }
      }
      pending.add(chunk);
      pendingBytes += n;
      peakPendingBytes = Math.max(peakPendingBytes, pendingBytes);
      schedule = !drainScheduled;
      drainScheduled = true;
    }
    if (schedule) {
      writer.execute(this::drain);
    }
  }

  private void keepTail(byte[] chunk) {
    if (chunk.length >= tail.length) {
      System.arraycopy(chunk, chunk.length - tail.length, tail, 0, tail.length);
      tailLength = tail.length;
      return;
    }
    int keepOld = Math.min(tailLength, tail.length - chunk.length);
    System.arraycopy(tail, tailLength - keepOld, tail, 0, keepOld);
    System.arraycopy(chunk, 0, tail, keepOld, chunk.length);
    tailLength = keepOld + chunk.length;
  }

  /** On the writer thread: writes everything queued, then returns (one module at a time). */
  private void drain() {
    while (true) {
      Chunk chunk;
      long dropped;
      boolean done;
      synchronized (lock) {
        chunk = pending.poll();
        dropped = chunk == null ? droppedSinceMark : 0;
        if (chunk != null) {
          pendingBytes -= chunk.bytes().length;
        } else {
          droppedSinceMark = 0;
        }
        done = chunk == null && dropped == 0;
        if (done) {
          drainScheduled = false;
          if (ended) {
            log.close();
            written.complete(null);
          }
          return;
        }
      }
      if (chunk == null) {
        write(
            ("--- "
                    + dropped
                    + " bytes of output dropped: the module wrote faster than the log is written"
                    + " ---\n")
                .getBytes(StandardCharsets.UTF_8));
      } else {
        write(chunk.bytes());
        if (chunk.done() != null) {
          chunk.done().complete(null);
        }
      }
    }
  }

  private void write(byte[] chunk) {
    try {
      log.write(chunk, 0, chunk.length);
      if (failing) {
        failing = false;
        LOG.log(System.Logger.Level.INFO, "module {0}: writing {1} again", module, log.file());
      }
    } catch (IOException | RuntimeException e) {
      log.close();
      synchronized (lock) {
        droppedSinceMark += chunk.length;
        droppedTotal += chunk.length;
      }
      if (!failing) {
        failing = true;
        LOG.log(
            System.Logger.Level.WARNING,
            "module {0}: cannot write {1} ({2}); its output is dropped and counted until a write"
                + " succeeds",
            module,
            log.file(),
            e.toString());
      }
    }
  }

  /**
   * Completes when the module's output has ended (every process holding the pipe is gone) and all
   * of it is written or dropped.
   */
  CompletableFuture<Void> written() {
    return written;
  }

  /**
   * Writes the loader's last line once the output has ended, or after {@code waitMs} when it has
   * not (a process outside a sandbox may have left children holding the pipe); completes when that
   * line is written, or after another {@code waitMs}.
   */
  CompletableFuture<Void> finish(String trailer, long waitMs) {
    return written
        .copy()
        .completeOnTimeout(null, waitMs, TimeUnit.MILLISECONDS)
        .thenCompose(
            x -> note(trailer).copy().completeOnTimeout(null, waitMs, TimeUnit.MILLISECONDS));
  }

  long droppedBytes() {
    synchronized (lock) {
      return droppedTotal;
    }
  }

  long peakPendingBytes() {
    synchronized (lock) {
      return peakPendingBytes;
    }
  }

  /**
   * The last lines the module wrote, made safe to show (control characters replaced, at most
   * {@value #DETAIL_LINES} lines and {@value #DETAIL_CHARS} characters, joined by " | "), or "".
   */
  String tail() {
    String text;
    synchronized (lock) {
      text = new String(tail, 0, tailLength, StandardCharsets.UTF_8);
    }
    String[] lines = text.split("\n");
    StringBuilder b = new StringBuilder();
    int taken = 0;
    for (int i = lines.length - 1; i >= 0 && taken < DETAIL_LINES; i--) {
      String l = lines[i].strip();
      if (l.isEmpty()) {
        continue;
      }
      StringBuilder clean = new StringBuilder();
      l.codePoints().forEach(c -> clean.appendCodePoint(Character.isISOControl(c) ? '?' : c));
      b.insert(0, taken == 0 ? clean : clean + " | ");
      taken++;
    }
    return b.length() <= DETAIL_CHARS ? b.toString() : "…" + b.substring(b.length() - DETAIL_CHARS);
  }
}
