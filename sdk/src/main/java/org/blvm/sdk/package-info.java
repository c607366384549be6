/**
 * The module-side client: {@link org.blvm.sdk.ModuleClient} connects to the node over the
 * UNIX-domain socket named by {@code BLVM_SOCKET}, authenticates with {@code BLVM_TOKEN}, and
 * exposes the typed {@link org.blvm.sdk.NodeApi}.
 *
 * <h2>Threads (all daemon)</h2>
 *
 * <ul>
 *   <li>{@code blvm-sdk-reader}: reads and decodes every frame; completes the waiting call of a
 *       response, queues events, hands invokes to the invoke pool. It never runs module code.
 *   <li>{@code blvm-sdk-events}: runs event handlers one at a time, in arrival order, from a
 *       bounded queue (events arriving while it is full are dropped and a warning is logged).
 *   <li>{@code blvm-sdk-invoke-N}: a small pool running served methods and the stop hook.
 *   <li>Callers of {@link org.blvm.sdk.NodeApi} block on a per-request future, bounded by the
 *       request timeout.
 * </ul>
 *
 * <h2>Locks</h2>
 *
 * <p>One write lock serializes whole frames on the socket; it is the only lock held across I/O and
 * is never held while module code runs. The last close message waits at most 250 ms for it.
 * Handlers run only after {@code connect()} has returned, and may call the NodeAPI (including
 * {@code call_module} back into this module) without blocking the reader.
 */
package org.blvm.sdk;
