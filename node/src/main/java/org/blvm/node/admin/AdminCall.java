package org.blvm.node.admin;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import org.blvm.admin.AdminRequest;

/** What a command gets for one request: the request, its arguments, and the way to stream. */
public final class AdminCall {
  /** The connection's side of a stream. */
  interface Stream {
    /** Sends one event line; false when the client is gone. */
    boolean emit(long id, JsonNode event);

    /** Waits up to {@code millis} for the client to end the stream; true when it did. */
    boolean awaitCancel(long millis) throws InterruptedException;
  }

  private final AdminRequest request;
  private final Args args;
  private final Stream stream;
  private boolean streamed;

  AdminCall(AdminRequest request, Stream stream) {
    this.request = request;
    this.args = new Args(request.command(), request.args());
    this.stream = stream;
  }

  public AdminRequest request() {
    return request;
  }

  public Args args() {
    return args;
  }

  /** Sends one event of a stream; false when the client is gone (the command should return). */
  public boolean emit(JsonNode event) {
    return stream.emit(request.id(), event);
  }

  /**
   * Waits up to {@code wait} for the client to end the stream (by closing the connection or sending
   * anything) or the node to stop; true when either happened and the command should return.
   */
  public boolean awaitCancel(Duration wait) throws InterruptedException {
    streamed = true;
    return stream.awaitCancel(Math.max(1, wait.toMillis()));
  }

  /**
   * Whether this call waited for the client to end a stream (a follow): then its connection ends
   * with it and no result is sent. A command that only emitted events sends its result after them.
   */
  boolean streamed() {
    return streamed;
  }
}
