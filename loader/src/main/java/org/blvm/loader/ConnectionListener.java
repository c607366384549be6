package org.blvm.loader;

import org.blvm.protocol.Message;

/**
 * What an authenticated {@link Connection} reports to the module it belongs to. Called on the
 * connection's reader thread unless said otherwise; implementations return quickly and never block
 * on another module.
 */
interface ConnectionListener {
  /** A request of an authenticated module; the listener answers it through {@code c}. */
  void onRequest(Connection c, Message.Request request);

  /** A log line of an authenticated module. */
  void onLog(Message.Log log);

  /** The peer broke the protocol; the connection is being closed with PROTOCOL_ERROR. */
  void onProtocolViolation(Connection c);

  /** drop_oldest dropped {@code n} queued events (on the queueing thread). */
  void onEventsDropped(long n);

  /** The outgoing queue overflowed under the disconnect rule (on the queueing thread). */
  void onQueueOverflow();

  /** The reader has ended; the connection is closed or closing. Called once. */
  void onEnded(Connection c);
}
