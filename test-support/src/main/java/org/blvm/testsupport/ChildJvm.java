package org.blvm.testsupport;

import java.io.File;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** Starting a test's main class in a JVM of its own. */
public final class ChildJvm {
  private ChildJvm() {}

  /**
   * The classes of {@code anchor}'s location, the module path and the class path of this JVM as one
   * plain class path: a child JVM runs the test's main class as an unnamed module even when the
   * tests themselves run on the module path.
   */
  public static String classPath(Class<?> anchor) {
    Set<String> entries = new LinkedHashSet<>();
    try {
      entries.add(
          Path.of(anchor.getProtectionDomain().getCodeSource().getLocation().toURI()).toString());
    } catch (URISyntaxException e) {
      throw new IllegalStateException("the location of " + anchor.getName(), e);
    }
    for (String prop : List.of("jdk.module.path", "java.class.path")) {
      String v = System.getProperty(prop);
      if (v != null && !v.isEmpty()) {
        entries.addAll(List.of(v.split(File.pathSeparator)));
      }
    }
    return String.join(File.pathSeparator, entries);
  }

  /** The {@code java} launcher of this JVM. */
  public static String java() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }
}
