package org.blvm.policy;

import java.util.Objects;

/**
 * Another module this one needs, and the versions of it that will do. A required dependency must be
 * present, in range and running before this module starts; an optional one only orders the start
 * when it is present (docs/lifecycle.md, "Dependencies").
 */
public record Dependency(String name, VersionRange range, boolean optional) {
  public Dependency {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(range, "range");
  }

  /** A required dependency. */
  public Dependency(String name, VersionRange range) {
    this(name, range, false);
  }

  @Override
  public String toString() {
    return name + " " + range + (optional ? " (optional)" : "");
  }
}
