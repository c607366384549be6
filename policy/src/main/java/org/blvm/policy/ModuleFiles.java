package org.blvm.policy;

import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The files of a module, each pinned by SHA-256 and size: the manifest's {@code [files]} table, or
 * for an older manifest only the entry its {@code [binary]} table pins. Paths are relative to the
 * module directory, {@code /}-separated, in a small character set (see {@link #pathProblem}); the
 * manifest and the signature files next to it are never part of it.
 *
 * <p>The {@link #digest() tree digest} names the verified copy in the loader's store: SHA-256 of
 * {@link #canonicalList()}, which is what {@code sha256sum} prints for the files in path order.
 *
 * @param pins path → pin, sorted by path
 */
public record ModuleFiles(SortedMap<String, BinaryPin> pins) {
  /** At most this many files in one module. */
  public static final int MAX_FILES = 512;

  /** At most this many directory levels ({@code a/b/c} has 3). */
  public static final int MAX_DEPTH = 16;

  /** Longest path, in characters. */
  public static final int MAX_PATH_LENGTH = 1024;

  /** Largest total size of a module's files (4 GiB). */
  public static final long MAX_TOTAL_BYTES = ModuleManifest.MAX_BINARY_SIZE;

  private static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9._+@-]{1,255}");

  /**
   * Validates and freezes {@code pins}.
   *
   * @throws IllegalArgumentException naming the first path or bound that is not allowed
   */
  public ModuleFiles {
    TreeMap<String, BinaryPin> copy = new TreeMap<>(pins);
    if (copy.size() > MAX_FILES) {
      throw new IllegalArgumentException(
          copy.size() + " files, at most " + MAX_FILES + " are allowed");
    }
    long total = 0;
    for (Map.Entry<String, BinaryPin> e : copy.entrySet()) {
      String problem = pathProblem(e.getKey());
      if (problem != null) {
        throw new IllegalArgumentException("\"" + e.getKey() + "\": " + problem);
      }
      if (e.getValue() == null) {
        throw new IllegalArgumentException("\"" + e.getKey() + "\" has no pin");
      }
      total += e.getValue().size();
      if (total > MAX_TOTAL_BYTES) {
        throw new IllegalArgumentException(
            "the files hold more than " + MAX_TOTAL_BYTES + " bytes together");
      }
      String parent = e.getKey();
      for (int slash = parent.lastIndexOf('/'); slash > 0; slash = parent.lastIndexOf('/')) {
        parent = parent.substring(0, slash);
        if (copy.containsKey(parent)) {
          throw new IllegalArgumentException(
              "\"" + parent + "\" is a file and also the directory of \"" + e.getKey() + "\"");
        }
      }
    }
    pins = Collections.unmodifiableSortedMap(copy);
  }

  /** One file: the entry of a manifest that pins only it ({@code [binary]}). */
  public static ModuleFiles single(String path, BinaryPin pin) {
    return new ModuleFiles(new TreeMap<>(Map.of(path, pin)));
  }

  /** The pin of {@code path}, if it is one of the files. */
  public Optional<BinaryPin> pin(String path) {
    return Optional.ofNullable(pins.get(path));
  }

  /** How many files. */
  public int count() {
    return pins.size();
  }

  /** Their total size in bytes. */
  public long totalBytes() {
    long n = 0;
    for (BinaryPin p : pins.values()) {
      n += p.size();
    }
    return n;
  }

  /**
   * What the tree digest covers: one line {@code <sha256 hex><two spaces><path>\n} per file, in
   * path order (the paths are ASCII, so this is byte order) — {@code sha256sum}'s own output.
   */
  public String canonicalList() {
    StringBuilder sb = new StringBuilder();
    for (Map.Entry<String, BinaryPin> e : pins.entrySet()) {
      sb.append(e.getValue().sha256().hex()).append("  ").append(e.getKey()).append('\n');
    }
    return sb.toString();
  }

  /** SHA-256 of {@link #canonicalList()}: the name of the tree in the loader's store. */
  public Sha256 digest() {
    return Sha256.digest(canonicalList().getBytes(StandardCharsets.US_ASCII));
  }

  /**
   * Why {@code path} cannot name a module file, or null when it can: {@code /}-separated segments
   * of 1 to 255 characters from {@code A-Z a-z 0-9 . _ + @ -}, none {@code .} or {@code ..}, at
   * most {@link #MAX_DEPTH} of them and {@link #MAX_PATH_LENGTH} characters, and not the manifest
   * or a signature file.
   */
  public static String pathProblem(String path) {
    if (path.isEmpty()) {
      return "empty path";
    }
    if (path.length() > MAX_PATH_LENGTH) {
      return "longer than " + MAX_PATH_LENGTH + " characters";
    }
    String[] segments = path.split("/", -1);
    if (segments.length > MAX_DEPTH) {
      return "more than " + MAX_DEPTH + " levels deep";
    }
    for (String s : segments) {
      if (s.isEmpty()) {
        return "a path is relative, without empty segments (no leading, trailing or double /)";
      }
      if (s.equals(".") || s.equals("..")) {
        return "\".\" and \"..\" are not allowed";
      }
      if (!SEGMENT.matcher(s).matches()) {
        return "each name must be 1-255 of A-Z a-z 0-9 . _ + @ -";
      }
    }
    if (excluded(path)) {
      return "the manifest and its signature files are not module files";
    }
    return null;
  }

  /** {@code module.toml} and its signature files: beside the module's files, never among them. */
  static boolean excluded(String path) {
    return path.equals("module.toml") || Admission.SIGNATURE_FILE.matcher(path).matches();
  }
}
