/**
 * The module-side client: {@link org.blvm.sdk.ModuleClient} connects to the node over the
 * UNIX-domain socket named by {@code BLVM_SOCKET}, authenticates with {@code BLVM_TOKEN}, and
 * exposes the typed {@link org.blvm.sdk.NodeApi}.
 *
 * <h2>Threads (all daemon)</h2>
 *
 * <ul>
 *   <li>{@code blvm-sdk-reader} ({@code ResponseReader}): reads and decodes frames; completes the
 *       waiting call of a response, queues events, hands invokes to the invoke pool. It never runs
 *       module code. A call made while no other call waits reads its own answer instead (and routes
 *       whatever arrives before it the same way); the reader then stays off the socket for a while
 *       (250 µs after a short call, up to about 2 ms after a long run of calls; {@code
 *       SpinPolicy}).
 *   <li>{@code blvm-sdk-events} ({@code EventDispatcher}): runs event handlers one at a time, in
 *       arrival order, from a bounded queue (events arriving while it is full are dropped and a
 *       warning is logged).
 *   <li>{@code blvm-sdk-invoke-N} ({@code InvokeRunner}): a small pool running served methods and
 *       the stop hook.
 *   <li>Callers of {@link org.blvm.sdk.NodeApi} wait for their answer bounded by the request
 *       timeout: reading it themselves when no other call waits, else on a per-request future.
 * </ul>
 *
 * <h2>Locks</h2>
 *
 * <p>One write lock ({@code NodeChannel}) serializes whole frames on the socket and one read lock
 * ({@code ResponseReader}, also guarding the events read and not yet queued in {@code
 * EventDispatcher}) the reading of frames; they are the only locks held across I/O and are never
 * held while module code runs. The last close message waits at most 250 ms for the write lock.
 * Handlers run only after {@code connect()} has returned, and may call the NodeAPI (including
 * {@code call_module} back into this module) without blocking the reader.
 *
 * <h2>Logging</h2>
 *
 * <p>Failures of module code (a handler, a served method, the stop hook) go to the node's log and
 * to {@link java.lang.System.Logger} {@code blvm.sdk}, with the stack trace; the SDK never writes
 * to stderr itself.
 */
package org.blvm.sdk;
