package org.blvm.admin;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.nio.file.Path;
import java.util.regex.Pattern;

/**
 * The fixed facts of the admin protocol (docs/admin.md): where the socket is, how large a line may
 * be, what a command name looks like, and the one strict JSON reader both sides use.
 */
public final class AdminProtocol {
  /** A request line, its newline included, is at most this many bytes (64 KiB). */
  public static final int MAX_REQUEST_BYTES = 64 * 1024;

  /** A response line, its newline included, is at most this many bytes (1 MiB). */
  public static final int MAX_RESPONSE_BYTES = 1024 * 1024;

  /** Objects and arrays nest at most this deep in a request. */
  public static final int MAX_DEPTH = 16;

  /** The directory (0700, the node's own) holding the socket, below the node's runtime dir. */
  public static final String SOCKET_DIR = "admin.d";

  /** The socket's file name. */
  public static final String SOCKET_NAME = "admin.sock";

  /** A command name: lowercase words joined by dots, e.g. {@code modules.status}. */
  public static final Pattern COMMAND =
      Pattern.compile("[a-z][a-z0-9_]{0,31}(\\.[a-z][a-z0-9_]{0,31}){0,3}");

  /** Request ids are integers from 0 to 2^53 - 1 (exact in every JSON implementation). */
  public static final long MAX_ID = (1L << 53) - 1;

  private static final ObjectMapper JSON =
      JsonMapper.builder(
              JsonFactory.builder()
                  .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                  .streamReadConstraints(
                      StreamReadConstraints.builder()
                          .maxNestingDepth(MAX_DEPTH)
                          .maxStringLength(MAX_RESPONSE_BYTES)
                          .maxNumberLength(64)
                          .build())
                  .build())
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .build();

  private AdminProtocol() {}

  /** The default socket of a node whose runtime directory is {@code runtimeDir}. */
  public static Path defaultSocket(Path runtimeDir) {
    return runtimeDir.resolve(SOCKET_DIR).resolve(SOCKET_NAME);
  }

  /**
   * The mapper both sides read and write lines with: duplicate keys, trailing tokens, nesting
   * deeper than {@link #MAX_DEPTH} are errors.
   */
  public static ObjectMapper json() {
    return JSON;
  }
}
