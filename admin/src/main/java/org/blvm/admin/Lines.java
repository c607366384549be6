package org.blvm.admin;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.UncheckedIOException;

/** Writing one JSON value as one line. */
final class Lines {
  private Lines() {}

  /** {@code node} as compact UTF-8 JSON followed by a newline (JSON never contains one). */
  static byte[] encode(JsonNode node) {
    byte[] json;
    try {
      json = AdminProtocol.json().writeValueAsBytes(node);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException("a JSON tree that cannot be written", e);
    }
    byte[] line = new byte[json.length + 1];
    System.arraycopy(json, 0, line, 0, json.length);
    line[json.length] = '\n';
    return line;
  }
}
