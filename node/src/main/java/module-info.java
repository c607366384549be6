/**
 * The reference node host: the simulated chain backend and its driver ({@code org.blvm.node}, the
 * exported API), the {@code blvm-node} command ({@code org.blvm.node.host}) and its admin socket
 * ({@code org.blvm.node.admin}).
 */
module org.blvm.node {
  requires transitive org.blvm.loader;
  requires transitive org.blvm.protocol;
  requires com.fasterxml.jackson.dataformat.toml;
  requires org.blvm.admin;
  requires org.newsclub.net.unix;
  requires info.picocli;
  requires jdk.httpserver; // the demo's webhook receiver
  requires java.logging; // the demo's node log on a terminal
  requires io.prometheus.metrics.model;
  requires io.prometheus.metrics.exporter.httpserver;
  requires io.prometheus.writer.text;
  requires jdk.unsupported; // sun.misc.Signal: SIGHUP reloads, SIGINT/SIGTERM stop
  requires static com.google.errorprone.annotations; // @GuardedBy

  exports org.blvm.node;

  opens org.blvm.node.host to
      info.picocli;
}
