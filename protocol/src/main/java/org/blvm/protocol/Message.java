package org.blvm.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Objects;

/**
 * One protocol message; each frame carries exactly one. See docs/protocol.md for the wire form of
 * each kind. Free-form values ({@code params}, {@code result}, {@code payload}, {@code config}) are
 * Jackson trees; treat them as read-only.
 */
public sealed interface Message {

  /** The value of the {@code kind} key on the wire. */
  String kind();

  /** Module → node, first message: supported protocol versions and the one-time launch token. */
  record Hello(List<Integer> versions, String token) implements Message {
    public Hello {
      versions = List.copyOf(versions);
      Objects.requireNonNull(token, "token");
    }

    @Override
    public String kind() {
      return "hello";
    }
  }

  /** Node → module, answer to hello: the chosen version and the module's context. */
  record Welcome(int version, ModuleContext context) implements Message {
    public Welcome {
      Objects.requireNonNull(context, "context");
    }

    @Override
    public String kind() {
      return "welcome";
    }
  }

  /** Module → node: a NodeAPI call. {@code id} is chosen by the module, unique among its calls. */
  record Request(long id, String method, JsonNode params) implements Message {
    public Request {
      Objects.requireNonNull(method, "method");
    }

    @Override
    public String kind() {
      return "request";
    }
  }

  /**
   * Answer to a request (node → module) or to an invoke (module → node): exactly one of result and
   * error is non-null.
   */
  record Response(long id, JsonNode result, ErrorValue error) implements Message {
    public Response {
      if ((result == null) == (error == null)) {
        throw new IllegalArgumentException("exactly one of result and error must be set");
      }
    }

    public static Response ok(long id, JsonNode result) {
      return new Response(id, result, null);
    }

    public static Response error(long id, ErrorValue error) {
      return new Response(id, null, error);
    }

    @Override
    public String kind() {
      return "response";
    }
  }

  /**
   * Node → module: an event. {@code seq} counts events on this connection from 1; {@code source} is
   * null for node events and the publishing module's id for module events (stamped by the node).
   */
  record Event(long seq, String type, String source, JsonNode payload) implements Message {
    public Event {
      Objects.requireNonNull(type, "type");
      Objects.requireNonNull(payload, "payload");
    }

    @Override
    public String kind() {
      return "event";
    }
  }

  /**
   * Node → module: a call the module must answer with a {@link Response} of the same id. {@code
   * caller} is the authenticated id of the calling module, or null for the node itself (lifecycle
   * methods such as {@code stop}).
   */
  record Invoke(long id, String method, JsonNode params, String caller) implements Message {
    public Invoke {
      Objects.requireNonNull(method, "method");
    }

    @Override
    public String kind() {
      return "invoke";
    }
  }

  /** Module → node: a log line. */
  record Log(LogLevel level, String message) implements Message {
    public Log {
      Objects.requireNonNull(level, "level");
      Objects.requireNonNull(message, "message");
    }

    @Override
    public String kind() {
      return "log";
    }
  }

  /** Either side, last message before closing the connection: why it is being closed. */
  record Close(ErrorCode code, String message) implements Message {
    public Close {
      Objects.requireNonNull(code, "code");
      Objects.requireNonNull(message, "message");
    }

    @Override
    public String kind() {
      return "close";
    }
  }

  /** Log levels of {@link Log}; lowercase on the wire. */
  enum LogLevel {
    TRACE,
    DEBUG,
    INFO,
    WARN,
    ERROR;

    public String wireName() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }
}
