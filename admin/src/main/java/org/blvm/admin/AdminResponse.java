package org.blvm.admin;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.Objects;
import java.util.Set;

/**
 * One line of an answer (docs/admin.md, "Responses"):
 *
 * <ul>
 *   <li>a result, {@code {"id": N, "ok": true, "result": {...}}}: the request is done;
 *   <li>an error, {@code {"id": N, "ok": false, "error": {"code", "message", "details"?}}}: the
 *       request is done and failed ({@code id} is null when the request's id could not be read);
 *   <li>an event, {@code {"id": N, "event": {...}}}: one item of a stream ({@code follow}); more
 *       lines follow.
 * </ul>
 *
 * @param id the request's id, or -1 (null on the wire) when unknown
 * @param kind which of the three it is
 * @param body the result or the event (an object); null for an error
 * @param error the error; null otherwise
 */
public record AdminResponse(long id, Kind kind, JsonNode body, AdminException error) {
  /** The three kinds of response lines. */
  public enum Kind {
    RESULT,
    ERROR,
    EVENT
  }

  private static final Set<String> RESULT_KEYS = Set.of("id", "ok", "result");
  private static final Set<String> ERROR_KEYS = Set.of("id", "ok", "error");
  private static final Set<String> EVENT_KEYS = Set.of("id", "event");

  public AdminResponse {
    Objects.requireNonNull(kind, "kind");
    if ((kind == Kind.ERROR) != (error != null) || (kind == Kind.ERROR) == (body != null)) {
      throw new IllegalArgumentException(
          "an error response has an error and no body, others a body");
    }
    if (body != null && !body.isObject()) {
      throw new IllegalArgumentException("a result or event is an object");
    }
    body = body == null ? null : body.deepCopy();
  }

  /** A copy of the result or event. */
  @Override
  public JsonNode body() {
    return body == null ? null : body.deepCopy();
  }

  public static AdminResponse result(long id, JsonNode result) {
    return new AdminResponse(id, Kind.RESULT, result, null);
  }

  public static AdminResponse event(long id, JsonNode event) {
    return new AdminResponse(id, Kind.EVENT, event, null);
  }

  /** The error answer for {@code e}, about its request when it names one. */
  public static AdminResponse error(AdminException e) {
    return new AdminResponse(e.requestId().orElse(-1), Kind.ERROR, null, e);
  }

  /** This response as one line (UTF-8 JSON and a newline). */
  public byte[] encode() {
    JsonNodeFactory f = JsonNodeFactory.instance;
    ObjectNode n = f.objectNode();
    if (id < 0) {
      n.putNull("id");
    } else {
      n.put("id", id);
    }
    switch (kind) {
      case RESULT:
        n.put("ok", true);
        n.set("result", body);
        break;
      case EVENT:
        n.set("event", body);
        break;
      default:
        n.put("ok", false);
        ObjectNode e = n.putObject("error");
        e.put("code", error.code().name());
        e.put("message", error.reason());
        JsonNode details = error.details();
        if (details != null) {
          e.set("details", details);
        }
    }
    return Lines.encode(n);
  }

  /**
   * Reads one response line (without its newline), as the client does.
   *
   * @throws IOException naming the problem when the line is not a response
   */
  public static AdminResponse decode(byte[] line) throws IOException {
    JsonNode n;
    try {
      n = AdminProtocol.json().readTree(line);
    } catch (JsonProcessingException e) {
      throw new IOException("the node's answer is not valid JSON: " + e.getOriginalMessage());
    }
    if (n == null || !n.isObject() || !n.has("id")) {
      throw new IOException("the node's answer is not a response object with an id");
    }
    JsonNode idNode = n.get("id");
    long id;
    if (idNode.isNull()) {
      id = -1;
    } else if (idNode.isIntegralNumber() && idNode.canConvertToLong() && idNode.longValue() >= 0) {
      id = idNode.longValue();
    } else {
      throw new IOException("the node's answer has a bad id: " + Text.clip(idNode.toString()));
    }
    if (n.has("event")) {
      keys(n, EVENT_KEYS);
      return new AdminResponse(id, Kind.EVENT, object(n.get("event"), "event"), null);
    }
    JsonNode ok = n.get("ok");
    if (ok == null || !ok.isBoolean()) {
      throw new IOException("the node's answer has no \"ok\", \"event\" or boolean \"ok\"");
    }
    if (ok.booleanValue()) {
      keys(n, RESULT_KEYS);
      return new AdminResponse(id, Kind.RESULT, object(n.get("result"), "result"), null);
    }
    keys(n, ERROR_KEYS);
    JsonNode e = object(n.get("error"), "error");
    String code = e.path("code").asText("");
    String message = e.path("message").asText("");
    AdminErrorCode c =
        AdminErrorCode.fromWire(code)
            .orElseThrow(
                () ->
                    new IOException("the node answered an unknown error code " + Text.quote(code)));
    JsonNode details = e.get("details");
    return new AdminResponse(id, Kind.ERROR, null, new AdminException(c, message, details, id));
  }

  private static JsonNode object(JsonNode n, String key) throws IOException {
    if (n == null || !n.isObject()) {
      throw new IOException("the node's answer has no object \"" + key + "\"");
    }
    return n;
  }

  private static void keys(JsonNode n, Set<String> allowed) throws IOException {
    for (var it = n.fieldNames(); it.hasNext(); ) {
      String k = it.next();
      if (!allowed.contains(k)) {
        throw new IOException("the node's answer has an unexpected key " + Text.quote(k));
      }
    }
  }
}
