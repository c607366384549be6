package org.blvm.node.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import org.blvm.admin.AdminException;
import org.blvm.node.metrics.MetricsEndpoint;

/**
 * {@code metrics}: the node's metrics in the Prometheus text format, the same text {@code
 * --metrics-listen} serves (docs/admin.md, docs/metrics.md). A text too large for one answer line
 * is sent as {@code event} lines of whole exposition lines, then a result with empty text.
 */
public final class MetricsCommand implements AdminCommand {
  /** Bytes of exposition text in one answer or event line (far below the line bound). */
  static final int CHUNK_BYTES = 256 * 1024;

  private final MetricsEndpoint metrics;

  public MetricsCommand(MetricsEndpoint metrics) {
    this.metrics = metrics;
  }

  @Override
  public String name() {
    return "metrics";
  }

  @Override
  public JsonNode run(AdminCall call) throws AdminException {
    call.args().only();
    String text = metrics.text();
    if (text.getBytes(StandardCharsets.UTF_8).length <= CHUNK_BYTES) {
      return text(text);
    }
    int start = 0;
    while (start < text.length()) {
      int end = cut(text, start);
      if (!call.emit(text(text.substring(start, end)))) {
        break; // the client left
      }
      start = end;
    }
    return text("");
  }

  /** The end of the next chunk from {@code start}: after a newline, at most CHUNK_BYTES away. */
  static int cut(String text, int start) {
    int limit = Math.min(text.length(), start + CHUNK_BYTES / 4); // UTF-8: at most 4 bytes a char
    if (limit == text.length()) {
      return limit;
    }
    int nl = text.lastIndexOf('\n', limit - 1);
    return nl >= start ? nl + 1 : limit;
  }

  private static ObjectNode text(String t) {
    ObjectNode r = JsonNodeFactory.instance.objectNode();
    r.put("text", t);
    return r;
  }
}
