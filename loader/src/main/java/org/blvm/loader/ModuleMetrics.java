package org.blvm.loader;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What the loader measured for one module at one instant ({@link ModuleManager#metrics()}).
 * Counters (calls, denials, events, bytes, violations) run over all launches of the module since it
 * was loaded; a restart keeps them, an unload forgets them. docs/metrics.md describes each value
 * and the Prometheus metric it becomes.
 *
 * @param name the module id
 * @param state where the module is in its life
 * @param restarts restarts after a failure
 * @param uptimeSeconds since its current process was launched; 0 when none runs
 * @param calls answered requests, by method and result (only the pairs that occurred)
 * @param denials refusals for a missing capability or operator allowance, by capability name
 * @param rateLimited requests refused because the module was over its rate limit
 * @param eventsSent events taken from its queue by its writer, to be written to its socket
 * @param eventsDropped events dropped from its queue under {@code drop_oldest}
 * @param queueOverflows disconnects because its queue was full under {@code disconnect}
 * @param queueDepth frames waiting in its current connection's queue (0 without one)
 * @param bytesIn frame bytes read from its socket (length prefixes included)
 * @param bytesOut frame bytes written to its socket (length prefixes included)
 * @param protocolViolations violations, each of which closed a connection (authenticated or not)
 * @param process the memory and CPU time of the processes of its sandbox, when one runs and {@code
 *     /proc} could be read
 * @param reported the series the module reported with {@code report_metric} (this launch)
 */
public record ModuleMetrics(
    String name,
    ModuleState state,
    long restarts,
    double uptimeSeconds,
    List<Calls> calls,
    Map<String, Long> denials,
    long rateLimited,
    long eventsSent,
    long eventsDropped,
    long queueOverflows,
    int queueDepth,
    long bytesIn,
    long bytesOut,
    long protocolViolations,
    Optional<ProcessUsage> process,
    List<ReportedMetric> reported) {
  public ModuleMetrics {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(state, "state");
    calls = List.copyOf(calls);
    denials = Map.copyOf(denials);
    Objects.requireNonNull(process, "process");
    reported = List.copyOf(reported);
  }

  /**
   * Answered requests of one method with one result.
   *
   * @param method the NodeAPI method ({@code ready}; {@code other} for names not in the catalog)
   * @param result {@code ok} or the error code of the answer ({@code NOT_CAPABLE} …)
   * @param count how many
   */
  public record Calls(String method, String result, long count) {}

  /**
   * The resources of a sandbox's processes, summed over the process the launcher started and all
   * its live descendants, read from {@code /proc} when asked.
   *
   * @param processes how many processes were found (at most {@code ProcessTree.MAX_PROCESSES})
   * @param rssBytes resident memory ({@code VmRSS})
   * @param cpuSeconds user and system CPU time, including that of reaped children
   */
  public record ProcessUsage(int processes, long rssBytes, double cpuSeconds) {}
}
