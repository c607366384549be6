package org.blvm.admin;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.Iterator;
import java.util.Set;

/**
 * Decodes one request line, strictly (docs/admin.md, "Requests"): a JSON object with exactly the
 * keys {@code id} (an integer from 0 to 2^53-1), {@code command} (a command name) and optionally
 * {@code args} (an object); no duplicate keys, nothing after the object, nesting at most {@link
 * AdminProtocol#MAX_DEPTH} deep, at most {@link AdminProtocol#MAX_REQUEST_BYTES} bytes with the
 * newline. Pure: no state, no I/O. Anything else is an {@link AdminException} with code {@code
 * BAD_REQUEST} (or {@code TOO_LARGE}) whose message names the problem and quotes at most 64
 * characters of the input; it carries the request's id when that much could be read.
 */
public final class RequestDecoder {
  private static final Set<String> KEYS = Set.of("id", "command", "args");

  private RequestDecoder() {}

  /** Decodes {@code line}: one request without its terminating newline. */
  public static AdminRequest decode(byte[] line) throws AdminException {
    if (line.length > AdminProtocol.MAX_REQUEST_BYTES - 1) {
      throw new AdminException(
          AdminErrorCode.TOO_LARGE,
          "a request line is at most "
              + AdminProtocol.MAX_REQUEST_BYTES
              + " bytes with its newline, found "
              + (line.length + 1));
    }
    JsonNode root;
    try {
      root = AdminProtocol.json().readTree(line);
    } catch (StreamConstraintsException e) {
      throw bad(-1, "over a limit of the JSON reader: " + firstLine(e.getOriginalMessage()));
    } catch (JsonProcessingException e) {
      throw bad(-1, "not valid JSON: " + firstLine(e.getOriginalMessage()));
    } catch (IOException e) {
      throw bad(-1, "not valid JSON: " + firstLine(e.getMessage()));
    }
    if (root == null || root.isMissingNode()) {
      throw bad(-1, "an empty line is not a request");
    }
    if (!root.isObject()) {
      throw bad(-1, "a request is a JSON object, found " + kind(root));
    }
    long id = id(root.get("id"));
    for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
      String key = it.next();
      if (!KEYS.contains(key)) {
        throw bad(id, "unknown key " + Text.quote(key) + " (a request has id, command and args)");
      }
    }
    if (!root.has("id")) {
      throw bad(-1, "missing key \"id\"");
    }
    if (id < 0) {
      throw bad(
          -1, "\"id\" must be an integer from 0 to 2^53-1, found " + describe(root.get("id")));
    }
    JsonNode command = root.get("command");
    if (command == null) {
      throw bad(id, "missing key \"command\"");
    }
    if (!command.isTextual() || !AdminProtocol.COMMAND.matcher(command.textValue()).matches()) {
      throw bad(
          id,
          "\"command\" must be a command name such as \"modules.list\", found "
              + describe(command));
    }
    JsonNode args = root.get("args");
    if (args != null && !args.isObject()) {
      throw bad(id, "\"args\" must be an object, found " + kind(args));
    }
    return new AdminRequest(id, command.textValue(), (ObjectNode) args);
  }

  private static long id(JsonNode n) {
    if (n == null || !n.isIntegralNumber() || !n.canConvertToLong()) {
      return -1;
    }
    long v = n.longValue();
    return v >= 0 && v <= AdminProtocol.MAX_ID ? v : -1;
  }

  private static AdminException bad(long id, String message) {
    return new AdminException(AdminErrorCode.BAD_REQUEST, message, null, id);
  }

  private static String describe(JsonNode n) {
    return n.isTextual() ? Text.quote(n.textValue()) : kind(n) + " " + Text.clip(n.toString());
  }

  private static String kind(JsonNode n) {
    switch (n.getNodeType()) {
      case ARRAY:
        return "an array";
      case OBJECT:
        return "an object";
      case STRING:
        return "a string";
      case NUMBER:
        return "a number";
      case BOOLEAN:
        return "a boolean";
      case NULL:
        return "null";
      default:
        return n.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "(no detail)";
    }
    int nl = s.indexOf('\n');
    return Text.clip(nl < 0 ? s : s.substring(0, nl));
  }
}
