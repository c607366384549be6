package org.blvm.policy;

import java.nio.file.Path;
import java.util.Locale;

/**
 * A module directory is not the tree its signed manifest pins, or cannot be one: a file was added,
 * removed or changed after signing, is a symbolic link or not a regular file, has a name a module
 * file may not have, or the tree exceeds a bound. Names the path (relative to the module directory)
 * and, where there is one, the expected and the found value.
 */
public final class FileTreeException extends AdmissionException {
  private static final long serialVersionUID = 1L;

  /** What is wrong with the path. */
  public enum Problem {
    /** A file the manifest does not pin. */
    ADDED,
    /** A file the manifest pins is missing. */
    REMOVED,
    /** Its SHA-256 is not the pinned one. */
    CHANGED,
    /** Its size is not the pinned one. */
    SIZE,
    /** A symbolic link (files and directories must be real). */
    SYMLINK,
    /** A device, fifo or socket. */
    SPECIAL,
    /** A name a module file may not have ({@link ModuleFiles#pathProblem}). */
    NAME,
    /** Too many files, too deep, too large. */
    LIMIT,
    /** It could not be read. */
    UNREADABLE
  }

  private final transient Path moduleDir;
  private final String path;
  private final Problem problem;
  private final String expected;
  private final String found;

  /**
   * @param path relative to {@code moduleDir}; "" for the directory itself
   * @param expected what the signed manifest pins, or null
   * @param found what the directory holds, or null
   * @param detail the sentence saying what is wrong
   */
  public FileTreeException(
      Path moduleDir, String path, Problem problem, String expected, String found, String detail) {
    super(
        moduleDir
            + (path.isEmpty() ? "" : ": " + path)
            + ": "
            + problem.name().toLowerCase(Locale.ROOT)
            + ": "
            + detail);
    this.moduleDir = moduleDir;
    this.path = path;
    this.problem = problem;
    this.expected = expected;
    this.found = found;
  }

  /** The module directory. */
  public Path moduleDir() {
    return moduleDir;
  }

  /** The path relative to the module directory ("" for the directory itself). */
  public String path() {
    return path;
  }

  public Problem problem() {
    return problem;
  }

  /** What the signed manifest pins (a digest or size), or null. */
  public String expected() {
    return expected;
  }

  /** What was found (a digest, size, link target or file type), or null. */
  public String found() {
    return found;
  }
}
