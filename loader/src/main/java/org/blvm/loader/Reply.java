package org.blvm.loader;

import java.util.Objects;
import org.blvm.protocol.Message;

/**
 * What the {@link Dispatcher} answers to a request: either a {@link Message.Response} (errors, and
 * answers relayed from another module as trees), or the id and typed result of a successful answer,
 * which {@link Connection#sendResponse} encodes straight to CBOR without building a tree first
 * ({@link org.blvm.protocol.Codec#encodeResponseFrame}).
 *
 * @param afterSent run once the answer was sent or queued (e.g. the first ConfigLoaded after a
 *     subscription, which must follow the answer), or null
 * @param descriptor the descriptor a successful answer hands over (net_connect, net_listen), or
 *     null; the connection sends it with the answer's frame and closes the loader's copy, or closes
 *     it when the answer cannot be sent
 */
record Reply(
    long id,
    Object result,
    Message.Response response,
    Runnable afterSent,
    PassedDescriptor descriptor) {
  Reply {
    if ((result == null) == (response == null)) {
      throw new IllegalArgumentException("exactly one of result and response must be set");
    }
  }

  static Reply of(Message.Response r) {
    return new Reply(r.id(), null, r, null, null);
  }

  static Reply ok(long id, Object result) {
    return new Reply(id, Objects.requireNonNull(result, "result"), null, null, null);
  }

  /** A successful answer that hands over {@code descriptor}. */
  static Reply withDescriptor(long id, Object result, PassedDescriptor descriptor) {
    return new Reply(
        id,
        Objects.requireNonNull(result, "result"),
        null,
        null,
        Objects.requireNonNull(descriptor, "descriptor"));
  }

  /** This answer, with {@code action} to run once it was sent. */
  Reply thenAfterSent(Runnable action) {
    return new Reply(id, result, response, action, descriptor);
  }

  boolean isError() {
    return response != null && response.error() != null;
  }
}
