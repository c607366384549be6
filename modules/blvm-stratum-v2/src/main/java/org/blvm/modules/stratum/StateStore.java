package org.blvm.modules.stratum;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The module's counters in {@code stratum-state.json} in its data directory (docs/modules.md): one
 * small JSON document, replaced atomically (written beside it and forced, renamed over it). Saves
 * run on the thread {@code blvm-stratum-v2-state}; while one runs at most one more waits, and a
 * newer snapshot replaces the waiting one, so a burst of saves costs two writes.
 */
final class StateStore implements AutoCloseable {
  static final String FILE = "stratum-state.json";

  /** The largest file read; a larger one is refused (the document is a few hundred bytes). */
  static final long MAX_BYTES = 64 * 1024;

  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path file;
  private final Consumer<String> problems;
  private final ThreadPoolExecutor writer =
      new ThreadPoolExecutor(
          1,
          1,
          0,
          TimeUnit.SECONDS,
          new ArrayBlockingQueue<>(1),
          r -> {
            Thread t = new Thread(r, "blvm-stratum-v2-state");
            t.setDaemon(true);
            return t;
          },
          new ThreadPoolExecutor.DiscardOldestPolicy());

  StateStore(Path dataDir, Consumer<String> problems) {
    this.file = dataDir.resolve(FILE);
    this.problems = problems;
  }

  /** The stored document, or an empty object (with a problem reported) when there is none. */
  ObjectNode load() {
    try {
      if (Files.exists(file)) {
        long size = Files.size(file);
        if (size > MAX_BYTES) {
          throw new IOException(
              "it is " + Long.toString(size) + " bytes, over " + Long.toString(MAX_BYTES));
        }
        JsonNode n = JSON.readTree(file.toFile());
        if (n instanceof ObjectNode o) {
          return o;
        }
        throw new IOException("it is not a JSON object");
      }
    } catch (IOException e) {
      problems.accept(FILE + " unreadable, starting from zero: " + e.getMessage());
    }
    return JSON.createObjectNode();
  }

  /** Stores {@code snapshot} soon, on the state thread. */
  void save(ObjectNode snapshot) {
    writer.execute(() -> write(snapshot));
  }

  private void write(ObjectNode snapshot) {
    Path temp = file.resolveSibling(FILE + ".tmp");
    try {
      Files.write(temp, JSON.writeValueAsBytes(snapshot));
      try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.WRITE)) {
        ch.force(true);
      }
      Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      problems.accept("cannot store " + FILE + ": " + e);
    }
  }

  /** Waits (at most 2 s) for the saves queued so far. */
  @Override
  public void close() throws InterruptedException {
    writer.shutdown();
    writer.awaitTermination(2, TimeUnit.SECONDS);
  }
}
