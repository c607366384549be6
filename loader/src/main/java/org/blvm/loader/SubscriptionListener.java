package org.blvm.loader;

/**
 * Told by the {@link Dispatcher} after a module's subscriptions changed and the answer was sent.
 */
@FunctionalInterface
interface SubscriptionListener {
  /** Runs on the module's reader thread (or whichever sent the answer); never blocks. */
  void subscribed(Session session);
}
