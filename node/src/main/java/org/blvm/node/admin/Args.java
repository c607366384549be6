package org.blvm.node.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Iterator;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.blvm.admin.AdminErrorCode;
import org.blvm.admin.AdminException;

/**
 * A request's {@code args}, read strictly: a command names the keys it takes ({@link #only}), and
 * every accessor checks the type and range, answering {@code BAD_REQUEST} with the key's name.
 */
public final class Args {
  /** A module name, as the manifest allows it. */
  static final Pattern MODULE = Pattern.compile("[a-z][a-z0-9-]{0,62}");

  private final String command;
  private final ObjectNode args;

  Args(String command, ObjectNode args) {
    this.command = command;
    this.args = args;
  }

  /** Refuses every key not in {@code keys}. */
  public Args only(String... keys) throws AdminException {
    Set<String> allowed = Set.of(keys);
    for (Iterator<String> it = args.fieldNames(); it.hasNext(); ) {
      String k = it.next();
      if (!allowed.contains(k)) {
        throw bad(
            "unknown argument "
                + quote(k)
                + (keys.length == 0
                    ? " (it takes none)"
                    : " (it takes " + String.join(", ", keys) + ")"));
      }
    }
    return this;
  }

  /** The required {@code module} argument, a module name. */
  public String module() throws AdminException {
    String m = string("module");
    if (!MODULE.matcher(m).matches()) {
      throw bad("\"module\" is not a module name: " + quote(m));
    }
    return m;
  }

  /** The optional {@code module} argument. */
  public Optional<String> optionalModule() throws AdminException {
    return args.has("module") ? Optional.of(module()) : Optional.empty();
  }

  /** A required string argument. */
  public String string(String key) throws AdminException {
    JsonNode n = args.get(key);
    if (n == null) {
      throw bad("missing argument \"" + key + "\"");
    }
    if (!n.isTextual()) {
      throw bad("\"" + key + "\" must be a string");
    }
    return n.textValue();
  }

  /** An optional boolean argument. */
  public boolean flag(String key, boolean absent) throws AdminException {
    JsonNode n = args.get(key);
    if (n == null) {
      return absent;
    }
    if (!n.isBoolean()) {
      throw bad("\"" + key + "\" must be true or false");
    }
    return n.booleanValue();
  }

  /** An optional integer argument from {@code min} to {@code max}. */
  public int integer(String key, int absent, int min, int max) throws AdminException {
    JsonNode n = args.get(key);
    if (n == null) {
      return absent;
    }
    if (!n.isIntegralNumber() || !n.canConvertToInt() || n.intValue() < min || n.intValue() > max) {
      throw bad("\"" + key + "\" must be an integer from " + min + " to " + max);
    }
    return n.intValue();
  }

  private AdminException bad(String message) {
    return new AdminException(AdminErrorCode.BAD_REQUEST, command + ": " + message);
  }

  private static String quote(String s) {
    String clipped = s.length() > 64 ? s.substring(0, 64) + "…" : s;
    return "\"" + clipped.replaceAll("[\\p{Cntrl}]", "?") + "\"";
  }
}
