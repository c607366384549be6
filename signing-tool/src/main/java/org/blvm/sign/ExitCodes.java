package org.blvm.sign;

/**
 * Exit codes of blvm-sign and blvm-loader (documented in docs/signing.md, docs/policy.md and
 * docs/admin.md).
 */
public final class ExitCodes {
  /** Done; for verify and policy check: everything would be admitted. */
  public static final int OK = 0;

  /** A check said no: a signature, pin or policy rule refused the module, or the policy is bad. */
  public static final int REFUSED = 1;

  /** Wrong command line (unknown option, missing argument). */
  public static final int USAGE = 2;

  /**
   * The command could not run on its inputs: a file missing or unreadable, a key file malformed, a
   * wrong password, an output that already exists.
   */
  public static final int INPUT = 3;

  /**
   * blvm-loader's node commands: the node could not be reached or would not talk: no admin socket,
   * permission denied, refused (another uid), all connections busy, no answer in time, or the
   * connection was lost.
   */
  public static final int UNREACHABLE = 4;

  /** A bug: an unexpected exception (its message is printed, not its stack trace). */
  public static final int INTERNAL = 70;

  private ExitCodes() {}
}
