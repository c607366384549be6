package org.blvm.admin;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Objects;
import java.util.OptionalLong;

/**
 * An error answer of the admin protocol: its {@link AdminErrorCode}, a message for people, and
 * optional structured {@code details} (e.g. the problems of a refused policy). The node throws it
 * from a command to answer with it; the client throws it when the node answered with an error.
 */
public final class AdminException extends Exception {
  private static final long serialVersionUID = 1L;

  private final AdminErrorCode code;
  private final transient JsonNode details;
  private final long requestId;

  /** An error with no details, for no particular request. */
  public AdminException(AdminErrorCode code, String message) {
    this(code, message, null, -1);
  }

  /** An error with details (may be null). */
  public AdminException(AdminErrorCode code, String message, JsonNode details) {
    this(code, message, details, -1);
  }

  /**
   * An error about request {@code requestId} (-1 when the request's id is not known, e.g. the line
   * was not JSON).
   */
  public AdminException(AdminErrorCode code, String message, JsonNode details, long requestId) {
    super(code + ": " + Objects.requireNonNull(message, "message"));
    this.code = Objects.requireNonNull(code, "code");
    this.details = details == null ? null : details.deepCopy();
    this.requestId = requestId;
  }

  public AdminErrorCode code() {
    return code;
  }

  /** The message without the code. */
  public String reason() {
    return getMessage().substring(code.name().length() + 2);
  }

  /** Structured details, or null. A copy: changing it changes nothing here. */
  public JsonNode details() {
    return details == null ? null : details.deepCopy();
  }

  /** The id of the request this error answers, when known. */
  public OptionalLong requestId() {
    return requestId < 0 ? OptionalLong.empty() : OptionalLong.of(requestId);
  }

  /** The same error, about request {@code id}. */
  public AdminException forRequest(long id) {
    return new AdminException(code, reason(), details, id);
  }
}
