package org.blvm.modules.governance;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.CRC32C;

/**
 * The notifications not yet acknowledged, one file each in a directory ({@code outbox/} in the data
 * directory), named by sequence number ({@code 00000000000000000042.msg}). A file is written to a
 * temporary name, forced to disk, renamed into place and the directory forced, so after a kill it
 * either exists whole or not at all; it is deleted once the receiver acknowledged it.
 *
 * <p>File format: a header line {@code v1 CRC LENGTH}, then the idempotency key, the type and the
 * body, the first two each ending in a newline; {@code CRC} (CRC-32C, 8 hex digits) and {@code
 * LENGTH} cover everything after the header. A file that does not check out (torn by a crash on a
 * file system that reorders writes, or damaged) is deleted when the outbox is opened and reported
 * by {@link #problems()}; leftover temporary files are deleted too.
 *
 * <p>Bounds: at most {@code maxCount} notifications of at most {@link #MAX_BODY} bytes each. When
 * full, {@link #add} drops the oldest to make room and returns it (the overflow rule: newest wins,
 * the drop is reported). Thread-safe: the object's monitor guards the in-memory index only; files
 * are written and deleted outside it (each has its own sequence number, so they never collide).
 */
final class Outbox {
  /** The largest body kept; a larger notification is refused. */
  static final int MAX_BODY = 64 * 1024;

  private static final Pattern NAME = Pattern.compile("(\\d{20})\\.msg");
  private static final Pattern HEADER = Pattern.compile("v1 ([0-9a-f]{8}) (\\d{1,7})");

  private final Path dir;
  private final int maxCount;
  private final TreeMap<Long, Notification> pending = new TreeMap<>();
  private final List<String> problems = new ArrayList<>();
  private long nextSeq = 1;

  private Outbox(Path dir, int maxCount) {
    this.dir = dir;
    this.maxCount = maxCount;
  }

  /** The notification that does not fit, with the reason. */
  static final class TooLargeException extends Exception {
    private static final long serialVersionUID = 1L;

    TooLargeException(String type, int size) {
      super(
          type
              + " notification is "
              + Integer.toString(size)
              + " bytes, over "
              + Integer.toString(MAX_BODY));
    }
  }

  /** Opens (creating) the outbox in {@code dir}, reading what a previous run left. */
  static Outbox open(Path dir, int maxCount) throws IOException {
    Files.createDirectories(dir);
    Outbox o = new Outbox(dir, maxCount);
    o.load();
    return o;
  }

  private void load() throws IOException {
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
      for (Path f : files) {
        String name = f.getFileName().toString();
        Matcher m = NAME.matcher(name);
        if (!m.matches()) {
          if (name.endsWith(".tmp")) {
            Files.delete(f);
          }
          continue;
        }
        long seq = Long.parseLong(m.group(1));
        nextSeq = Math.max(nextSeq, seq + 1);
        Optional<Notification> n = parse(seq, f);
        if (n.isPresent()) {
          pending.put(seq, n.get());
        } else {
          problems.add("outbox file " + name + " is damaged (torn write): deleted");
          Files.delete(f);
        }
      }
    }
    while (pending.size() > maxCount) {
      Notification n = pending.firstEntry().getValue();
      delete(n);
      problems.add("outbox holds more than max_outbox: dropped " + n.key());
    }
    forceDirectory();
  }

  private static Optional<Notification> parse(long seq, Path f) throws IOException {
    if (Files.size(f) > MAX_BODY + 1024) {
      return Optional.empty();
    }
    byte[] all = Files.readAllBytes(f);
    int nl = indexOf(all, 0);
    if (nl < 0) {
      return Optional.empty();
    }
    Matcher h = HEADER.matcher(new String(all, 0, nl, StandardCharsets.US_ASCII));
    if (!h.matches() || Integer.parseInt(h.group(2)) != all.length - nl - 1) {
      return Optional.empty();
    }
    CRC32C crc = new CRC32C();
    crc.update(all, nl + 1, all.length - nl - 1);
    if (!String.format("%08x", crc.getValue()).equals(h.group(1))) {
      return Optional.empty();
    }
    int keyEnd = indexOf(all, nl + 1);
    int typeEnd = keyEnd < 0 ? -1 : indexOf(all, keyEnd + 1);
    if (typeEnd < 0) {
      return Optional.empty();
    }
    String key = new String(all, nl + 1, keyEnd - nl - 1, StandardCharsets.UTF_8);
    String type = new String(all, keyEnd + 1, typeEnd - keyEnd - 1, StandardCharsets.UTF_8);
    String body = new String(all, typeEnd + 1, all.length - typeEnd - 1, StandardCharsets.UTF_8);
    return Optional.of(new Notification(seq, key, type, body));
  }

  private static int indexOf(byte[] b, int from) {
    for (int i = from; i < b.length; i++) {
      if (b[i] == '\n') {
        return i;
      }
    }
    return -1;
  }

  /** What opening found wrong (damaged files deleted, overflow), for the log. */
  synchronized List<String> problems() {
    return List.copyOf(problems);
  }

  /**
   * Stores a notification durably (on return it survives a kill) and returns the one dropped to
   * make room, if the outbox was full.
   */
  Optional<Notification> add(String key, String type, String body)
      throws IOException, TooLargeException {
    if (key.contains("\n") || type.contains("\n")) {
      throw new IllegalArgumentException("key and type are single lines");
    }
    byte[] bodyBytes = body.getBytes(StandardCharsets.UTF_8);
    if (bodyBytes.length > MAX_BODY) {
      throw new TooLargeException(type, bodyBytes.length);
    }
    Optional<Notification> dropped = Optional.empty();
    Notification n;
    synchronized (this) {
      if (pending.size() >= maxCount) {
        dropped = Optional.of(pending.pollFirstEntry().getValue());
      }
      n = new Notification(nextSeq++, key, type, body);
    }
    if (dropped.isPresent()) {
      Files.deleteIfExists(dir.resolve(fileName(dropped.get().seq())));
    }
    write(n);
    synchronized (this) {
      pending.put(n.seq(), n);
    }
    return dropped;
  }

  private void write(Notification n) throws IOException {
    byte[] content = (n.key() + "\n" + n.type() + "\n" + n.body()).getBytes(StandardCharsets.UTF_8);
    CRC32C crc = new CRC32C();
    crc.update(content);
    byte[] header =
        ("v1 " + String.format("%08x", crc.getValue()) + " " + Integer.toString(content.length))
            .concat("\n")
            .getBytes(StandardCharsets.US_ASCII);
    Path temp = dir.resolve(fileName(n.seq()) + ".tmp");
    try (FileChannel ch =
        FileChannel.open(
            temp,
            StandardOpenOption.CREATE,
            StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING)) {
      ByteBuffer b = ByteBuffer.allocate(header.length + content.length);
      b.put(header).put(content).flip();
      while (b.hasRemaining()) {
        ch.write(b);
      }
      ch.force(true);
    }
    Files.move(temp, dir.resolve(fileName(n.seq())), StandardCopyOption.ATOMIC_MOVE);
    forceDirectory();
  }

  /** The oldest notification, the next to deliver. */
  synchronized Optional<Notification> head() {
    return pending.isEmpty() ? Optional.empty() : Optional.of(pending.firstEntry().getValue());
  }

  synchronized int size() {
    return pending.size();
  }

  /** Removes an acknowledged notification (no-op when already gone, e.g. dropped meanwhile). */
  void remove(Notification n) throws IOException {
    synchronized (this) {
      if (pending.remove(n.seq()) == null) {
        return;
      }
    }
    Files.deleteIfExists(dir.resolve(fileName(n.seq())));
    forceDirectory();
  }

  private void delete(Notification n) throws IOException {
    pending.remove(n.seq());
    Files.deleteIfExists(dir.resolve(fileName(n.seq())));
  }

  private void forceDirectory() throws IOException {
    try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
      d.force(true);
    }
  }

  static String fileName(long seq) {
    return String.format("%020d.msg", seq);
  }
}
