package org.blvm.loader;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Appends one JSON line per permission decision (allowed and denied) to {@code audit.jsonl}: {@code
 * {"time", "module", "method", "capability", "decision"}}. Recording never blocks the dispatcher:
 * lines go through a bounded queue to the thread {@code blvm-audit}, which drains it every 10 ms
 * while lines keep coming and sleeps without a timer once a drain finds none (the first line after
 * that wakes it: at most one wake-up per 10 ms, none while idle); if the queue is full the line is
 * counted and a {@code {"dropped": n}} line is written when there is room again. The file is
 * rotated at {@code maxBytes} ({@code audit.jsonl.1} … {@code .keep}), mode 0600. A write error
 * never stops the log: the writer retries with a backoff and, once it writes again, records a
 * {@code {"gap": n}} line for what it lost ({@link #status}).
 *
 * <p>Over 400 lines: queueing, rotation and write-error recovery share the writer thread's state.
 */
final class AuditLog implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger("blvm.loader.audit");
  private static final JsonFactory JSON = new JsonFactory();
  private static final Entry STOP = new Entry(0, null, null, null, null, 0, null);

  /** How often the writer looks for new lines; a line reaches the file within about this. */
  static final long DRAIN_MS = 10;

  private static final long MIN_BACKOFF_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
  private static final long MAX_BACKOFF_NANOS = TimeUnit.SECONDS.toNanos(5);

  /** While the log cannot be written, a warning at most this often. */
  private static final long WARN_EVERY_NANOS = TimeUnit.MINUTES.toNanos(1);

  private final Path file;
  private final long maxBytes;
  private final int keep;
  private final Clock clock;
  private final ArrayBlockingQueue<Entry> queue;
  private final Ticker ticker;
  private final AtomicLong dropped = new AtomicLong();
  private final AtomicLong linesLost = new AtomicLong();
  private final Thread writer;

  /** Set by the writer while it sleeps without a timer; the first offer after that wakes it. */
  private final AtomicBoolean idle = new AtomicBoolean();

  /** The file's size as the writer thread knows it (writer thread only). */
  private long size;

  /** The last write error while the log cannot be written, else null. */
  private volatile String failing;

  AuditLog(Path file, long maxBytes, int keep, int queueLines, Clock clock, Ticker ticker) {
    this.file = file;
    this.ticker = ticker;
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
    offer(new Entry(clock.millis(), module, method, capability, decision, count, null));
  }

  /**
   * Records one decision with facts about it ({@code host}, {@code address}, {@code rule} … of a
   * network request), written after the decision in the given order; never blocks.
   */
  void record(
      String module,
      String method,
      String capability,
      String decision,
      java.util.Map<String, String> details) {
    offer(
        new Entry(
            clock.millis(),
            module,
            method,
            capability,
            decision,
            0,
            java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(details))));
  }

  private void offer(Entry e) {
    // formatted by the writer thread: the dispatcher only takes the time and queues
    if (!queue.offer(e)) {
      dropped.incrementAndGet();
    } else if (idle.get() && idle.compareAndSet(true, false)) {
      LockSupport.unpark(writer);
    }
  }

  /** The writer thread's state (WAITING while idle, TIMED_WAITING between drains). */
  Thread.State writerState() {
    return writer.getState();
  }

  /** One decision, formatted into its JSON line by the writer thread. */
  private record Entry(
      long epochMillis,
      String module,
      String method,
      String capability,
      String decision,
      long count,
      java.util.Map<String, String> details) {
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
        if (details != null) {
          for (java.util.Map.Entry<String, String> d : details.entrySet()) {
            g.writeStringField(d.getKey(), d.getValue());
          }
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
        text = Instant.ofEpochMilli(epochMillis).toString();
        millis = epochMillis;
      }
      return text;
    }
  }

  /** Whether the log is being written, and what was lost. */
  AuditStatus status() {
    String f = failing;
    return new AuditStatus(f == null, linesLost.get(), dropped.get(), Optional.ofNullable(f));
  }

  /**
   * Drains the queue every {@link #DRAIN_MS} ms while lines keep coming: a decision then never
   * wakes this thread, so recording costs the dispatcher one queue offer, a volatile read and no
   * context switch. A drain that finds nothing twice in a row (and no failed write to retry) marks
   * the writer idle and parks it without a timer; the first line queued after that unparks it. Each
   * drain is one buffered write and one flush. A write error never ends the thread: see {@link
   * Writer}.
   */
  private void writeLoop() {
    Writer w = new Writer();
    List<Entry> batch = new ArrayList<>();
    boolean wrote = false; // the last drain found lines
    try {
      while (true) {
        if (queue.drainTo(batch, 4096) == 0) {
          if (w.retryDue()) {
            w.write(batch, false); // nothing new: writes the gap record once it can
          }
          if (failing == null && !wrote) {
            idle.set(true);
            if (queue.isEmpty()) { // an offer after this sees idle and unparks
              LockSupport.park(this);
            }
            idle.set(false);
          } else {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(DRAIN_MS));
          }
          wrote = false;
          if (Thread.interrupted()) {
            throw new InterruptedException();
          }
          continue;
        }
        boolean stop = false;
        for (int i = 0; i < batch.size() && !stop; i++) {
          if (batch.get(i) == STOP) {
            batch.subList(i, batch.size()).clear(); // nothing after the close is written
            stop = true;
          }
        }
        w.write(batch, stop);
        batch.clear();
        wrote = true;
        if (stop) {
          break;
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      w.close();
    }
  }

  /**
   * The writer thread's file state. A failed open, write or rotation closes the file, counts the
   * lines of the batch that were not written, and retries after a backoff (100 ms doubling to 5 s);
   * lines recorded meanwhile are counted, not kept. The first batch written after a failure is
   * preceded by a gap record {@code {"gap": n, "since": time, "until": time, "error": text}}
   * standing for the {@code n} lost lines (on a line of its own: a line cut by the failure is ended
   * first). {@link #status} reports the condition. Used by the writer thread only.
   */
  private final class Writer {
    private final TimeText time = new TimeText();
    private OutputStream out;
    private long gapLines;
    private long gapSince;
    private long retryAt;
    private long backoffNanos = MIN_BACKOFF_NANOS;
    private long lastWarning;

    void write(List<Entry> batch, boolean stopping) {
      if (failing != null && ticker.nanoTime() < retryAt && !stopping) {
        lose(batch.size());
        return;
      }
      int written = 0;
      int flushed = 0; // lines known to be in the file (the buffer fails only when flushed)
      try {
        if (out == null) {
          if (batch.isEmpty() && gapLines == 0 && dropped.get() == 0) {
            return; // nothing was ever recorded (e.g. the manager never started): no file
          }
          out = open(); // lazily: the manager creates its directories on start
        }
        if (gapLines > 0) {
          byte[] gap = gapRecord();
          out.write(gap);
          size += gap.length;
        }
        long queueDropped = dropped.getAndSet(0);
        if (queueDropped > 0) {
          byte[] note =
              ("{\"dropped\":" + queueDropped + "}\n").getBytes(StandardCharsets.US_ASCII);
          out.write(note);
          size += note.length;
        }
        for (Entry e : batch) {
          byte[] line = e.line(time);
          if (size + line.length > maxBytes) {
            out.close();
            out = null;
            flushed = written;
            rotate();
            out = open();
          }
          out.write(line);
          size += line.length;
          written++;
        }
        out.flush();
        if (failing != null) {
          LOG.log(
              System.Logger.Level.WARNING,
              "audit log {0} writes again; {1} decisions were lost (a gap record says so)",
              file,
              Long.toString(gapLines));
        }
        gapLines = 0;
        failing = null;
        backoffNanos = MIN_BACKOFF_NANOS;
      } catch (IOException | UncheckedIOException e) {
        failed(e, batch.size() - flushed);
      }
    }

    /** The log failed and its backoff has passed. */
    boolean retryDue() {
      return failing != null && ticker.nanoTime() >= retryAt;
    }

    private void lose(long n) {
      gapLines += n;
      linesLost.addAndGet(n);
    }

    private void failed(Exception e, long notWritten) {
      closeQuietly();
      long now = ticker.nanoTime();
      boolean first = failing == null;
      if (first) {
        gapSince = clock.millis();
      }
      // failing is set before the loss is counted: a reader that sees the count sees the failure
      failing = e.toString();
      lose(notWritten);
      retryAt = now + backoffNanos;
      backoffNanos = Math.min(MAX_BACKOFF_NANOS, backoffNanos * 2);
      if (first || now - lastWarning >= WARN_EVERY_NANOS) {
        lastWarning = now;
        LOG.log(
            first ? System.Logger.Level.ERROR : System.Logger.Level.WARNING,
            "audit log {0} cannot be written ({1}); {2} decisions lost so far, retrying",
            file,
            e.toString(),
            Long.toString(gapLines));
      }
    }

    /** The gap record, preceded by a newline when the file does not end with one. */
    private byte[] gapRecord() throws IOException {
      ByteArrayOutputStream buf = new ByteArrayOutputStream(200);
      if (size > 0 && !endsWithNewline()) {
        buf.write('\n');
      }
      try (JsonGenerator g = JSON.createGenerator(buf)) {
        g.writeStartObject();
        g.writeNumberField("gap", gapLines);
        g.writeStringField("since", time.of(gapSince));
        g.writeStringField("until", time.of(clock.millis()));
        g.writeStringField("error", failing);
        g.writeEndObject();
      }
      buf.write('\n');
      return buf.toByteArray();
    }

    private boolean endsWithNewline() throws IOException {
      try (SeekableByteChannel ch = Files.newByteChannel(file, StandardOpenOption.READ)) {
        if (ch.size() == 0) {
          return true;
        }
        ByteBuffer last = ByteBuffer.allocate(1);
        ch.position(ch.size() - 1);
        ch.read(last);
        return last.get(0) == '\n';
      }
    }

    private void closeQuietly() {
      if (out != null) {
        try {
          out.close();
        } catch (IOException e) {
          // the failure is what is reported
        }
        out = null;
      }
    }

    void close() {
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
    return new BufferedOutputStream(
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
