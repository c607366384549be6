package org.blvm.node.admin;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Predicate;
import org.blvm.admin.AdminErrorCode;
import org.blvm.admin.AdminException;
import org.blvm.admin.AdminProtocol;
import org.blvm.node.metrics.MetricsEndpoint;

/**
 * {@code metrics}: the node's metrics in the Prometheus text format, the same text {@code
 * --metrics-listen} serves (docs/admin.md, docs/metrics.md); with {@code module}, only that
 * module's series (and the audit log's). A text that does not fit one answer line is refused {@code
 * TOO_LARGE}, naming the way that has no bound (per module, or HTTP).
 */
public final class MetricsCommand implements AdminCommand {
  /** Room left on the answer line for the envelope ({@code {"id":…,"ok":true,"result":…}}). */
  private static final int ENVELOPE_BYTES = 4096;

  private static final ObjectMapper JSON = new ObjectMapper();

  private final Predicate<String> known;
  private final Function<Optional<String>, String> text;

  /**
   * @param known whether the node knows a module of that name
   * @param text the exposition now, of one module or all ({@link MetricsEndpoint#text})
   */
  public MetricsCommand(Predicate<String> known, Function<Optional<String>, String> text) {
    this.known = known;
    this.text = text;
  }

  @Override
  public String name() {
    return "metrics";
  }

  @Override
  public JsonNode run(AdminCall call) throws AdminException {
    Optional<String> module = call.args().only("module").optionalModule();
    if (module.isPresent() && !known.test(module.get())) {
      throw new AdminException(AdminErrorCode.UNKNOWN_MODULE, "no module \"" + module.get() + "\"");
    }
    ObjectNode r = JsonNodeFactory.instance.objectNode();
    r.put("text", text.apply(module));
    int bytes;
    try {
      bytes = JSON.writeValueAsBytes(r).length;
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e); // a tree of one string always encodes
    }
    if (bytes > AdminProtocol.MAX_RESPONSE_BYTES - ENVELOPE_BYTES) {
      throw new AdminException(
          AdminErrorCode.TOO_LARGE,
          "the metrics text is "
              + bytes
              + " bytes encoded, more than one answer carries ("
              + AdminProtocol.MAX_RESPONSE_BYTES
              + "): ask for one module at a time (blvm-loader metrics NAME), or scrape"
              + " --metrics-listen over HTTP");
    }
    return r;
  }
}
