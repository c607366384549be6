package org.blvm.policy;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Why a module index, or an install from one, was refused. The facts are fields: the index file,
 * the module and version concerned (null when the refusal is about the index as a whole), the rule
 * that said no and what was found. The message names all of them, e.g. {@code mirror/index.toml:
 * module fee-watch 1.2.0: digest: …}.
 */
public final class IndexException extends Exception {
  private static final long serialVersionUID = 1L;

  /** The rule that refused. */
  public enum Rule {
    /** Not valid TOML, an unknown or missing key, a wrong type or value, over a bound. */
    MALFORMED("malformed index"),
    /** Larger than {@link ModuleIndex#MAX_BYTES}. */
    TOO_LARGE("index too large"),
    /** No signature file beside the index. */
    UNSIGNED("index not signed"),
    /** A signature file that is not a minisign signature. */
    MALFORMED_SIGNATURE("malformed index signature"),
    /** Fewer distinct trusted index keys signed than the policy's {@code [index] threshold}. */
    UNTRUSTED("not signed by enough trusted index keys"),
    /** A signature by a trusted index key that does not verify. */
    SIGNATURE_INVALID("index signature invalid"),
    /** A counted signature's trusted comment is not the index's own. */
    COMMENT_MISMATCH("trusted comment mismatch"),
    /** The index's {@code expires} has passed (freeze protection). */
    EXPIRED("index expired"),
    /** An index older than one already seen (rollback protection). */
    ROLLBACK("index rollback"),
    /** The version already seen, with other content. */
    VERSION_REUSED("index version reused"),
    /** The loader's record of seen indexes cannot be read or written. */
    STATE("index state"),
    /** No entry for the module (or that version of it). */
    NOT_FOUND("not in the index"),
    /** An entry's path leaves the index's directory, or passes through a symbolic link. */
    PATH("path outside the index"),
    /** The module's files are not those the entry's digest names. */
    DIGEST("digest mismatch"),
    /** The module's manifest names another module or version than its entry. */
    ENTRY_MISMATCH("entry mismatch"),
    /** Admission refused the module (signature, threshold, ratchet, capabilities, files). */
    ADMISSION("admission refused"),
    /** A module directory of that name exists: {@code blvm-loader modules upgrade} replaces one. */
    EXISTS("module already installed"),
    /** The module could not be copied, or the modules directory not written. */
    INSTALL("install failed");

    private final String words;

    Rule(String words) {
      this.words = words;
    }

    /** The rule in a few words, as messages print it. */
    public String words() {
      return words;
    }
  }

  private final Path index;
  private final String module;
  private final String version;
  private final Rule rule;
  private final String detail;

  IndexException(Path index, String module, String version, Rule rule, String detail) {
    this(index, module, version, rule, detail, null);
  }

  IndexException(
      Path index, String module, String version, Rule rule, String detail, Throwable cause) {
    super(message(index, module, version, rule, detail), cause);
    this.index = Objects.requireNonNull(index, "index");
    this.module = module;
    this.version = version;
    this.rule = Objects.requireNonNull(rule, "rule");
    this.detail = Objects.requireNonNull(detail, "detail");
  }

  private static String message(
      Path index, String module, String version, Rule rule, String detail) {
    StringBuilder sb = new StringBuilder().append(index).append(": ");
    if (module != null) {
      sb.append("module ").append(module);
      sb.append(version == null ? " (any version)" : " " + version).append(": ");
    }
    return sb.append(rule.words()).append(": ").append(detail).toString();
  }

  public Path index() {
    return index;
  }

  /** The module concerned, or null when the refusal is about the whole index. */
  public String module() {
    return module;
  }

  /** The module's version concerned, or null (the whole index, or any version asked for). */
  public String version() {
    return version;
  }

  public Rule rule() {
    return rule;
  }

  /** What was found, and what was expected. */
  public String detail() {
    return detail;
  }
}
