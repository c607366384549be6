package org.blvm.policy;

import java.util.Objects;

/** Another module this one needs, and the versions of it that will do. */
public record Dependency(String name, VersionRange range) {
  public Dependency {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(range, "range");
  }
}
