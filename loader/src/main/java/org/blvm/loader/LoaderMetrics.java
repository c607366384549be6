package org.blvm.loader;

import java.util.List;
import java.util.Objects;

/**
 * A snapshot of everything the loader measures ({@link ModuleManager#metrics()}): one entry per
 * module it knows (refused modules too, with their state only) and the audit log's condition.
 */
public record LoaderMetrics(List<ModuleMetrics> modules, AuditStatus audit) {
  public LoaderMetrics {
    modules = List.copyOf(modules);
    Objects.requireNonNull(audit, "audit");
  }
}
