package org.blvm.modules.mesh;

import java.io.IOException;
import java.net.Socket;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;
import org.blvm.sdk.NodeApi;
import org.blvm.sdk.NodeApiException;

/**
 * Keeps a link to one configured peer ({@code host:port}) on its thread {@code blvm-mesh-dial}:
 * asks the node for a connection ({@code net_connect}), runs the link until it ends, then connects
 * again after a backoff that doubles from {@link #FIRST_BACKOFF_MS} to {@link #MAX_BACKOFF_MS}
 * (back to the first after a link that lived a minute). Stopped when the peer leaves the config.
 */
final class Dialer {
  static final long FIRST_BACKOFF_MS = 200;
  static final long MAX_BACKOFF_MS = 10_000;
  private static final long HEALTHY_NANOS = TimeUnit.MINUTES.toNanos(1);

  private final String peer;
  private final NodeApi api;
  private final MeshNode node;
  private final IntSupplier maxLinks;
  private final Thread thread;
  private volatile boolean stopped;
  private volatile Link current;

  Dialer(String peer, NodeApi api, MeshNode node, IntSupplier maxLinks) {
    this.peer = peer;
    this.api = api;
    this.node = node;
    this.maxLinks = maxLinks;
    this.thread = new Thread(this::run, "blvm-mesh-dial");
    this.thread.setDaemon(true);
  }

  void start() {
    thread.start();
  }

  /** Stops dialling and closes the current link. */
  void stop() {
    stopped = true;
    Link l = current;
    if (l != null) {
      l.close("peer " + peer + " left the config");
    }
    thread.interrupt();
  }

  /** The next backoff after {@code backoffMs}. */
  static long next(long backoffMs) {
    return Math.min(backoffMs * 2, MAX_BACKOFF_MS);
  }

  /** The backoff after a link that lived {@code livedNanos}: the first again after a minute. */
  static long afterLink(long backoffMs, long livedNanos) {
    return livedNanos > HEALTHY_NANOS ? FIRST_BACKOFF_MS : backoffMs;
  }

  private void run() {
    long backoff = FIRST_BACKOFF_MS;
    String lastProblem = null;
    while (!stopped) {
      String problem = null;
      if (node.openLinks() < maxLinks.getAsInt()) {
        try {
          Socket s = api.connect(MeshConfig.host(peer), MeshConfig.port(peer));
          Link l = new Link("to " + peer, s.getInputStream(), s.getOutputStream(), s, node);
          current = l;
          long began = System.nanoTime();
          node.adopt(l);
          if (stopped) {
            l.close("peer " + peer + " left the config");
          }
          l.awaitEnd();
          current = null;
          backoff = afterLink(backoff, System.nanoTime() - began);
        } catch (NodeApiException e) {
          problem = "connect to " + peer + " refused: " + e.getMessage();
        } catch (IOException e) {
          problem = "link to " + peer + " failed: " + e;
        } catch (InterruptedException e) {
          return;
        }
      }
      if (problem != null && !problem.equals(lastProblem)) {
        node.warn(problem + " (retrying with backoff)");
      }
      lastProblem = problem;
      try {
        Thread.sleep(backoff);
      } catch (InterruptedException e) {
        return;
      }
      backoff = next(backoff);
    }
  }
}
