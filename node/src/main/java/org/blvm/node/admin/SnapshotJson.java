package org.blvm.node.admin;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.OptionalInt;
import java.util.TreeSet;
import org.blvm.loader.LaunchSpec;
import org.blvm.loader.ModuleDependencies;
import org.blvm.loader.ModuleSnapshot;
import org.blvm.loader.ModuleStatus;
import org.blvm.policy.LimitSettings;
import org.blvm.policy.ModulePolicy;
import org.blvm.protocol.Capability;
import org.blvm.sandbox.ResourceLimits;

/** Module states and snapshots as the admin protocol's JSON (docs/admin.md). */
final class SnapshotJson {
  private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

  private SnapshotJson() {}

  /** {@code {module, state, detail, pid}}: the outcome of an operation. */
  static ObjectNode outcome(ModuleStatus s) {
    ObjectNode n = JSON.objectNode();
    n.put("module", s.name());
    n.put("state", s.state().name());
    n.put("detail", s.detail());
    pid(n, s.pid());
    return n;
  }

  /** {@code depends_on} and {@code required_by}: both directions of a module's dependencies. */
  static void dependencies(ObjectNode n, ModuleDependencies d) {
    edges(n.putArray("depends_on"), d.dependsOn());
    edges(n.putArray("required_by"), d.requiredBy());
  }

  private static void edges(ArrayNode out, java.util.List<ModuleDependencies.Edge> edges) {
    for (ModuleDependencies.Edge e : edges) {
      ObjectNode o = out.addObject();
      o.put("module", e.module());
      o.put("range", e.range());
      o.put("optional", e.optional());
      o.put("state", e.state() == null ? null : e.state().name());
      o.put("version", e.version());
    }
  }

  /** Everything {@code modules status} shows. */
  static ObjectNode full(ModuleSnapshot s, Instant now) {
    ObjectNode n = JSON.objectNode();
    n.put("name", s.name());
    n.put("version", s.version());
    n.put("state", s.state().name());
    n.put("detail", s.detail());
    pid(n, s.pid());
    n.put("since", s.since().toString());
    if (s.launchedAt() == null || !s.state().isLive()) {
      n.putNull("uptime_seconds");
    } else {
      n.put("uptime_seconds", Math.max(0, Duration.between(s.launchedAt(), now).toSeconds()));
    }
    n.put("launched_at", s.launchedAt() == null ? null : s.launchedAt().toString());
    strings(n.putArray("signers"), s.signers());
    n.put("unsigned", s.unsigned());
    capabilities(n.putArray("capabilities"), s.granted());
    capabilities(n.putArray("dropped_capabilities"), s.dropped());
    ModulePolicy p = s.policy();
    if (p == null) {
      n.putNull("policy");
    } else {
      ObjectNode pn = n.putObject("policy");
      pn.put("section", p.section());
      pn.put("sandbox_profile", p.sandboxProfile().orElse(null));
      limits(pn.putObject("limits"), p.limits());
      ObjectNode rate = pn.putObject("rate_limit");
      rate.put("requests_per_second", p.rateLimit().requestsPerSecond());
      rate.put("burst", p.rateLimit().burst());
      ObjectNode restart = pn.putObject("restart");
      restart.put("mode", p.restart().mode().name().toLowerCase(java.util.Locale.ROOT));
      restart.put("max_restarts", p.restart().maxRestarts());
      restart.put("window_seconds", p.restart().windowSeconds());
      pn.put("event_overflow", p.eventOverflow().name().toLowerCase(java.util.Locale.ROOT));
      strings(pn.putArray("callable_modules"), new TreeSet<>(p.callableModules()));
      pn.put("threshold", p.threshold());
    }
    LaunchSpec.Confinement c = s.confinement();
    if (c == null) {
      n.putNull("sandbox");
    } else {
      ObjectNode sb = n.putObject("sandbox");
      sb.put("profile", c.profile());
      sb.put("network", c.network());
      ResourceLimits l = c.limits();
      ObjectNode kl = sb.putObject("limits");
      kl.put("open_files", l.openFiles());
      kl.put("processes", l.processes());
      if (l.cpuSeconds() == ResourceLimits.UNLIMITED) {
        kl.putNull("cpu_seconds");
      } else {
        kl.put("cpu_seconds", l.cpuSeconds());
      }
      kl.put("file_size_bytes", l.fileSizeBytes());
      if (l.addressSpaceBytes() == 0) {
        kl.putNull("address_space_bytes");
      } else {
        kl.put("address_space_bytes", l.addressSpaceBytes());
      }
      strings(sb.putArray("from_policy"), c.policySettings());
    }
    n.put("restarts", s.restarts());
    if (s.lastExit() == null) {
      n.putNull("last_exit");
    } else {
      ObjectNode e = n.putObject("last_exit");
      e.put("state", s.lastExit().state().name());
      e.put("detail", s.lastExit().detail());
      e.put("time", s.lastExit().time().toString());
    }
    n.put("queued_frames", s.queuedFrames());
    n.put("calls", s.calls());
    n.put("denied", s.denied());
    n.put("rate_limited", s.rateLimited());
    n.put("dropped_events", s.droppedEvents());
    n.put("queue_overflows", s.queueOverflows());
    n.put("protocol_errors", s.protocolErrors());
    strings(n.putArray("subscriptions"), s.subscriptions());
    strings(n.putArray("serves"), s.served());
    return n;
  }

  /**
   * The limits the policy writes; a limit it does not write is null: the loader's sandbox default
   * applies (docs/policy.md).
   */
  private static void limits(ObjectNode n, LimitSettings l) {
    OptionalInt[] values = {
      l.memoryMb(),
      l.cpuSeconds(),
      l.openFiles(),
      l.processes(),
      l.diskMb(),
      l.dataMb(),
      l.dataFiles()
    };
    for (int i = 0; i < ModulePolicy.LIMIT_KEYS.size(); i++) {
      String key = ModulePolicy.LIMIT_KEYS.get(i);
      if (values[i].isPresent()) {
        n.put(key, values[i].getAsInt());
      } else {
        n.putNull(key);
      }
    }
  }

  private static void pid(ObjectNode n, java.util.OptionalLong pid) {
    if (pid.isPresent()) {
      n.put("pid", pid.getAsLong());
    } else {
      n.putNull("pid");
    }
  }

  private static void strings(ArrayNode a, Collection<String> values) {
    values.forEach(a::add);
  }

  private static void capabilities(ArrayNode a, Collection<Capability> caps) {
    new TreeSet<>(caps).forEach(c -> a.add(c.wireName()));
  }
}
