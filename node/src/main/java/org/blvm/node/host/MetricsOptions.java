package org.blvm.node.host;

import org.blvm.node.metrics.MetricsEndpoint.MetricsListen;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;

/** {@code --metrics-listen HOST:PORT} and {@code --metrics-allow-remote} (docs/metrics.md). */
final class MetricsOptions {
  @Option(
      names = "--metrics-listen",
      paramLabel = "HOST:PORT",
      description =
          "Serve Prometheus metrics over HTTP at http://HOST:PORT/metrics (off by default;"
              + " a loopback address unless --metrics-allow-remote).")
  String listen;

  @Option(
      names = "--metrics-allow-remote",
      description =
          "Allow --metrics-listen on an address that is not loopback (metrics name every module"
              + " and its activity; protect the port).")
  boolean allowRemote;

  /** The parsed address, or null when metrics are not served over HTTP. */
  MetricsListen listen(CommandSpec spec) {
    if (listen == null) {
      return null;
    }
    try {
      return MetricsListen.parse(listen, allowRemote);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    }
  }
}
