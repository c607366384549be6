package org.blvm.node.metrics;

import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.blvm.loader.LoaderMetrics;
import org.blvm.loader.ModuleManager;
import org.blvm.loader.ModuleMetrics;

/**
 * The node's Prometheus metrics: one registry holding a {@link LoaderCollector}, rendered in the
 * Prometheus text exposition format by the official client, served over HTTP on {@code
 * --metrics-listen} ({@link #serve}) and as text for the admin socket's {@code metrics} command
 * ({@link #text}).
 */
public final class MetricsEndpoint implements AutoCloseable {
  /** Threads answering scrapes: a scrape is quick, two suffice. */
  private static final int HTTP_THREADS = 2;

  private final ModuleManager modules;
  private final PrometheusRegistry registry = new PrometheusRegistry();
  private HTTPServer server;
  private ExecutorService executor;

  public MetricsEndpoint(ModuleManager modules) {
    this.modules = modules;
    registry.register(new LoaderCollector(modules::metrics));
  }

  /**
   * The metrics now, in the Prometheus text format (version 0.0.4): every module's, or only those
   * of {@code module} (and the audit log's, which belong to no module).
   */
  public String text(Optional<String> module) {
    PrometheusRegistry r = registry;
    if (module.isPresent()) {
      String name = module.get();
      r = new PrometheusRegistry();
      r.register(
          new LoaderCollector(
              () -> {
                LoaderMetrics all = modules.metrics();
                List<ModuleMetrics> one = new ArrayList<>();
                for (ModuleMetrics m : all.modules()) {
                  if (m.name().equals(name)) {
                    one.add(m);
                  }
                }
                return new LoaderMetrics(one, all.audit());
              }));
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      PrometheusTextFormatWriter.create().write(out, r.scrape());
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a byte array does not fail
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  /**
   * Serves {@code /metrics} over HTTP at {@code listen}, on threads {@code blvm-node-metrics-N}.
   *
   * @throws IOException when the address cannot be bound
   */
  public synchronized InetSocketAddress serve(MetricsListen listen) throws IOException {
    if (server != null) {
      throw new IllegalStateException("already serving on port " + server.getPort());
    }
    AtomicInteger n = new AtomicInteger();
    executor =
        Executors.newFixedThreadPool(
            HTTP_THREADS,
            r -> {
              Thread t = new Thread(r, "blvm-node-metrics-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    try {
      server =
          HTTPServer.builder()
              .inetAddress(listen.address())
              .port(listen.port())
              .registry(registry)
              .executorService(executor)
              .buildAndStart();
    } catch (IOException | RuntimeException e) {
      executor.shutdownNow();
      executor = null;
      throw new IOException(
          "cannot serve metrics on " + listen + " (--metrics-listen): " + e.getMessage(), e);
    }
    return new InetSocketAddress(listen.address(), server.getPort());
  }

  @Override
  public synchronized void close() {
    if (server != null) {
      server.close();
      server = null;
    }
    if (executor != null) {
      executor.shutdownNow();
      executor = null;
    }
  }

  /**
   * Where to serve metrics: {@code HOST:PORT} ({@code [v6]:PORT} for an IPv6 literal). Only a
   * loopback address is accepted unless remote scrapes are allowed explicitly.
   *
   * @param address the address to bind
   * @param port the port (0: any free one)
   */
  public record MetricsListen(InetAddress address, int port) {
    /**
     * Parses {@code HOST:PORT}; a host that is not a loopback address needs {@code allowRemote}.
     *
     * @throws IllegalArgumentException naming the value and what is wrong with it
     */
    public static MetricsListen parse(String value, boolean allowRemote) {
      int colon = value.lastIndexOf(':');
      if (colon <= 0 || colon == value.length() - 1) {
        throw new IllegalArgumentException(
            "--metrics-listen " + value + ": expected HOST:PORT, e.g. 127.0.0.1:9464");
      }
      String host = value.substring(0, colon);
      if (host.startsWith("[") && host.endsWith("]")) {
        host = host.substring(1, host.length() - 1);
      }
      int port;
      try {
        port = Integer.parseInt(value.substring(colon + 1));
      } catch (NumberFormatException e) {
        port = -1;
      }
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException(
            "--metrics-listen " + value + ": the port must be a number from 0 to 65535");
      }
      InetAddress address;
      try {
        address = InetAddress.getByName(host);
      } catch (UnknownHostException e) {
        throw new IllegalArgumentException(
            "--metrics-listen " + value + ": unknown host " + host, e);
      }
      if (!address.isLoopbackAddress() && !allowRemote) {
        throw new IllegalArgumentException(
            "--metrics-listen "
                + value
                + ": "
                + address.getHostAddress()
                + " is not a loopback address; metrics name every module and its activity, so"
                + " serving them beyond this machine needs --metrics-allow-remote");
      }
      return new MetricsListen(address, port);
    }

    @Override
    public String toString() {
      String h = address.getHostAddress();
      return (h.contains(":") ? "[" + h + "]" : h) + ":" + port;
    }
  }
}
