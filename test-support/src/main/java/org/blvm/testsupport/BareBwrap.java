package org.blvm.testsupport;

import java.util.List;

/**
 * The cold-start baseline: the least a sandbox launch does, a bare bubblewrap with every namespace
 * unshared, capabilities dropped, {@code /usr} bound read-only, a fresh {@code /proc} and {@code
 * /dev}, running one program.
 */
public final class BareBwrap {
  private BareBwrap() {}

  /** The command line: {@code bwrap} (its path), its options, then {@code program}. */
  public static List<String> command(String bwrap, String program) {
    return List.of(
        bwrap,
        "--unshare-all",
        "--unshare-user",
        "--die-with-parent",
        "--new-session",
        "--cap-drop",
        "ALL",
        "--ro-bind",
        "/usr",
        "/usr",
        "--symlink",
        "usr/lib",
        "/lib",
        "--symlink",
        "usr/lib64",
        "/lib64",
        "--proc",
        "/proc",
        "--dev",
        "/dev",
        program);
  }
}
