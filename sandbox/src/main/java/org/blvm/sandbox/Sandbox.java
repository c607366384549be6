package org.blvm.sandbox;

/**
 * Starts programs confined by bubblewrap namespaces, a seccomp filter and resource limits. Obtain
 * one from {@link Sandboxes#bubblewrap}; it only exists when the preflight passed.
 */
public interface Sandbox {
  /** Starts {@code spec}; the program runs only once every limit is in place. */
  SandboxedProcess start(SandboxSpec spec) throws SandboxException;

  /** The uid the sandboxed programs run as on the host. */
  int hostUid();

  /** The gid the sandboxed programs run as on the host, or -1 when it is the loader's own. */
  int hostGid();

  /**
   * bwrap resolves every bind source as the sandbox user, so each ancestor of a bound path must be
   * traversable by it. When sandboxes run under another uid, this gives {@code dir} to the sandbox
   * group with mode 0710 (enter, not list); otherwise it does nothing. Only for a directory the
   * caller created: never call it on one someone else owns.
   */
  void grantTraversal(java.nio.file.Path dir) throws java.io.IOException;

  /**
   * Makes {@code dir} the sandbox user's own private directory (owner = sandbox uid, mode 0700), as
   * data and socket directories must be. Without a separate sandbox uid: only the mode.
   */
  void giveToSandbox(java.nio.file.Path dir) throws java.io.IOException;
}
