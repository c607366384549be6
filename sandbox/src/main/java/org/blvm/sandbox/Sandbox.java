package org.blvm.sandbox;

/**
 * Starts programs confined by bubblewrap namespaces, a seccomp filter and resource limits. Obtain
 * one from {@link Sandboxes#bubblewrap}; it only exists when the preflight passed.
 */
public interface Sandbox {
  /** Starts {@code spec}; the program runs only once every limit is in place. */
  SandboxedProcess start(SandboxSpec spec) throws SandboxException;

  /**
   * Like {@link #start(SandboxSpec)}, with {@code beforeRelease} run once the limits are in place
   * and before the program is released; when it throws, the sandbox is ended and the program never
   * runs.
   */
  default SandboxedProcess start(SandboxSpec spec, BeforeRelease beforeRelease)
      throws SandboxException {
    try {
      beforeRelease.run();
    } catch (java.io.IOException e) {
      throw new SandboxException(
          "sandbox of " + spec.name() + " failed to start: " + e.getMessage(), e);
    }
    return start(spec);
  }

  /** Work a launch waits for before its program runs. */
  @FunctionalInterface
  interface BeforeRelease {
    void run() throws java.io.IOException;
  }

  /** The uid sandboxed programs given no uid of their own run as on the host. */
  int hostUid();

  /**
   * The group every sandbox carries when sandboxes run under another uid than the loader's (the
   * sandbox user's group; it lets them enter the loader's directories), or -1 when they run as the
   * loader's own uid.
   */
  int hostGid();

  /**
   * The range of host uids a spec may give as its {@link SandboxSpec#uid} (one per module), when
   * sandboxes switch user and a range is configured; empty otherwise (an unprivileged loader cannot
   * run programs under other uids).
   */
  java.util.Optional<UidRange> moduleUids();

  /**
   * bwrap resolves every bind source as the sandbox user, so each ancestor of a bound path must be
   * traversable by it. When sandboxes run under another uid, this gives {@code dir} to the sandbox
   * group with mode 0710 (enter, not list); otherwise it does nothing. Only for a directory the
   * caller created: never call it on one someone else owns.
   */
  void grantTraversal(java.nio.file.Path dir) throws java.io.IOException;

  /**
   * Makes {@code dir} the private directory (mode 0700) of the sandbox that runs as {@code uid}
   * (-1: the sandbox user): owner and group that uid, as data and socket directories must be.
   * Without a separate sandbox uid: only the mode. Only for a directory the caller created.
   */
  void giveToSandbox(java.nio.file.Path dir, int uid) throws java.io.IOException;
}
