package org.blvm.policy;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A directory the loader was told to own (its runtime, data or state root) is not fit for it, or
 * the loader's sandboxes cannot enter it. The loader refuses to start; it never changes the
 * directory itself.
 */
public final class UnsafeRootException extends IOException {
  private static final long serialVersionUID = 1L;

  private final String setting;
  private final transient Path path;
  private final String problem;
  private final String fix;

  /**
   * @param setting the setting that names the root ({@code runtimeDir} …)
   * @param path the directory found wanting (the root or one of its ancestors)
   * @param problem what is wrong with it
   * @param fix the command (or step) that fixes it
   */
  public UnsafeRootException(String setting, Path path, String problem, String fix) {
    super(setting + ": " + path + " " + problem + "; to fix it: " + fix);
    this.setting = setting;
    this.path = path;
    this.problem = problem;
    this.fix = fix;
  }

  public String setting() {
    return setting;
  }

  public Path path() {
    return path;
  }

  public String problem() {
    return problem;
  }

  public String fix() {
    return fix;
  }
}
