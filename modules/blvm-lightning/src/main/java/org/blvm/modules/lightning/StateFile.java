package org.blvm.modules.lightning;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;
import org.blvm.sdk.DataFiles;

/**
 * One JSON document in a file, replaced atomically ({@link DataFiles#writeAtomically}): a reader
 * sees the old document or the new one, never a mix, whenever the process is killed.
 */
final class StateFile {
  /** The largest file read; a larger one is refused rather than read into memory. */
  static final long MAX_BYTES = 16L * 1024 * 1024;

  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path file;

  StateFile(Path file) {
    this.file = file;
  }

  Path path() {
    return file;
  }

  /** The stored document, or empty when there is none yet. */
  Optional<JsonNode> read() throws IOException {
    if (!Files.exists(file)) {
      return Optional.empty();
    }
    long size = Files.size(file);
    if (size > MAX_BYTES) {
      throw new IOException(
          file + " is " + Long.toString(size) + " bytes, over " + Long.toString(MAX_BYTES));
    }
    return Optional.of(JSON.readTree(Files.readAllBytes(file)));
  }

  void write(JsonNode document) throws IOException {
    DataFiles.writeAtomically(file, JSON.writeValueAsBytes(document));
  }

  /** Moves a file that could not be read aside (to {@code NAME.bad}) so the next write succeeds. */
  Path moveAside() throws IOException {
    Path bad = file.resolveSibling(file.getFileName() + ".bad");
    Files.move(file, bad, StandardCopyOption.REPLACE_EXISTING);
    return bad;
  }
}
