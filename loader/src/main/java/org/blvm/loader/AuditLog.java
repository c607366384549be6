package org.blvm.loader;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Appends one JSON line per permission decision (allowed and denied) to {@code audit.jsonl}: {@code
 * {"time", "module", "method", "capability", "decision"}}. Recording never blocks the dispatcher:
 * lines go through a bounded queue to the thread {@code blvm-audit}, which drains it every 10 ms
 * (it is never woken per line); if the queue is full the line is counted and a {@code {"dropped":
 * n}} line is written when there is room again. The file is rotated at {@code maxBytes} ({@code
 * audit.jsonl.1} … {@code .keep}), mode 0600.
 */
final class AuditLog implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger("blvm.loader.audit");
  private static final JsonFactory JSON = new JsonFactory();
  private static final Entry STOP = new Entry(0, null, null, null, null, 0);

  /** How often the writer looks for new lines; a line reaches the file within about this. */
  static final long DRAIN_MS = 10;

  private final Path file;
  private final long maxBytes;
  private final int keep;
  private final Clock clock;
  private final ArrayBlockingQueue<Entry> queue;
  private final AtomicLong dropped = new AtomicLong();
  private final Thread writer;
  private long size;

  AuditLog(Path file, long maxBytes, int keep, int queueLines, Clock clock) {
    this.file = file;
    this.maxBytes = maxBytes;
    this.keep = keep;
    this.clock = clock;
    this.queue = new ArrayBlockingQueue<>(queueLines + 1);
    this.writer = new Thread(this::writeLoop, "blvm-audit");
    this.writer.setDaemon(true);
    this.writer.start();
  }

  /** Records one decision; never blocks. {@code capability} may be null (lifecycle calls). */
  void record(String module, String method, String capability, boolean allowed) {
    record(module, method, capability, allowed ? "allowed" : "denied", 0);
  }

  /**
   * Records one decision ({@code allowed}, {@code denied} or {@code rate_limited}); {@code count}
   * &gt; 0 adds how many requests the line stands for.
   */
  void record(String module, String method, String capability, String decision, long count) {
    // formatted by the writer thread: the dispatcher only takes the time and queues
    if (!queue.offer(new Entry(clock.millis(), module, method, capability, decision, count))) {
      dropped.incrementAndGet();
    }
  }

  /** One decision, formatted into its JSON line by the writer thread. */
  private record Entry(
      long epochMillis,
      String module,
      String method,
      String capability,
      String decision,
      long count) {
    byte[] line(TimeText time) {
      ByteArrayOutputStream buf = new ByteArrayOutputStream(160);
      try (JsonGenerator g = JSON.createGenerator(buf)) {
        g.writeStartObject();
        g.writeStringField("time", time.of(epochMillis));
        g.writeStringField("module", module);
        g.writeStringField("method", method);
        g.writeStringField("capability", capability);
        g.writeStringField("decision", decision);
        if (count > 0) {
          g.writeNumberField("count", count);
        }
        g.writeEndObject();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      buf.write('\n');
      return buf.toByteArray();
    }
  }

  /**
   * The ISO-8601 text of a time, remembered for the last millisecond asked: decisions come in
   * bursts within the same millisecond, and formatting an Instant costs more than the rest of the
   * line. Used by the writer thread only.
   */
  static final class TimeText {
    private long millis = Long.MIN_VALUE;
    private String text;

    String of(long epochMillis) {
      if (epochMillis != millis) {
        text = java.time.Instant.ofEpochMilli(epochMillis).toString();
        millis = epochMillis;
      }
      return text;
    }
  }

  long droppedLines() {
    return dropped.get();
  }

  /**
   * Drains the queue every {@link #DRAIN_MS} ms instead of waiting on it: a decision never wakes
   * this thread, so recording costs the dispatcher one queue offer and no context switch. Each
   * drain is one buffered write and one flush.
   */
  private void writeLoop() {
    OutputStream out = null;
    List<Entry> batch = new ArrayList<>();
    TimeText time = new TimeText();
    try {
      while (true) {
        if (queue.drainTo(batch, 4096) == 0) {
          LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(DRAIN_MS));
          if (Thread.interrupted()) {
            throw new InterruptedException();
          }
          continue;
        }
        if (out == null) {
          if (batch.get(0) == STOP) {
            break; // nothing was ever recorded (e.g. the manager never started): no file
          }
          out = open(); // lazily: the manager creates its directories on start
        }
        long lost = dropped.getAndSet(0);
        if (lost > 0) {
          byte[] note =
              ("{\"dropped\":" + lost + "}\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII);
          out.write(note);
          size += note.length;
        }
        boolean stop = false;
        for (Entry e : batch) {
          if (e == STOP) {
            stop = true;
            break;
          }
          byte[] line = e.line(time);
          if (size + line.length > maxBytes) {
            out.close();
            rotate();
            out = open();
          }
          out.write(line);
          size += line.length;
        }
        batch.clear();
        out.flush();
        if (stop) {
          break;
        }
      }
    } catch (IOException e) {
      LOG.log(
          System.Logger.Level.ERROR,
          "audit log " + file + " failed; decisions are no longer recorded",
          e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      if (out != null) {
        try {
          out.close();
        } catch (IOException e) {
          LOG.log(System.Logger.Level.WARNING, "closing audit log: {0}", e.toString());
        }
      }
    }
  }

  private OutputStream open() throws IOException {
    Files.createDirectories(
        file.toAbsolutePath().getParent(),
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    if (!Files.exists(file)) {
      Files.createFile(
          file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    }
    size = Files.size(file);
    return new java.io.BufferedOutputStream(
        Files.newOutputStream(file, StandardOpenOption.APPEND, StandardOpenOption.WRITE),
        64 * 1024);
  }

  private void rotate() throws IOException {
    for (int i = keep - 1; i >= 1; i--) {
      Path from = Path.of(file + "." + i);
      if (Files.exists(from)) {
        Files.move(from, Path.of(file + "." + (i + 1)), StandardCopyOption.REPLACE_EXISTING);
      }
    }
    Files.move(file, Path.of(file + ".1"), StandardCopyOption.REPLACE_EXISTING);
  }

  /** Writes what is queued, then stops the writer (bounded wait). */
  @Override
  public void close() {
    try {
      // bounded: a writer that died on an I/O error no longer drains the queue
      if (!queue.offer(STOP, 5, TimeUnit.SECONDS)) {
        LOG.log(System.Logger.Level.ERROR, "audit log {0}: not closed cleanly", file);
      }
      LockSupport.unpark(writer);
      writer.join(TimeUnit.SECONDS.toMillis(5));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
