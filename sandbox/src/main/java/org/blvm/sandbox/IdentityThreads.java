package org.blvm.sandbox;

import java.io.IOException;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * One launcher thread per host identity a root loader runs sandboxes as. Before its first task a
 * thread changes its own credentials, and no other thread's, to the identity for good (raw
 * setgroups, setresgid, setresuid: real, effective and saved ids; the kernel clears the thread's
 * capabilities as its uids leave 0), so that
 *
 * <ul>
 *   <li>bwrap spawned from it starts as that identity, with no program exec'd for the change, and
 *   <li>it may set resource limits on the sandbox's pid 1, a process of its own uid, without {@code
 *       CAP_SYS_RESOURCE} (limits can only be lowered that way).
 * </ul>
 *
 * A thread runs nothing but spawns and {@code prlimit}s and never starts a thread (a thread
 * inherits its creator's credentials; JNA's cleanup thread is kept alive from elsewhere, see {@code
 * Libc}). Threads live as long as the JVM (bwrap's {@code --die-with-parent} fires when the
 * spawning thread exits): one per identity used, at most one per module uid plus the sandbox user.
 * A thread whose change failed runs nothing.
 */
final class IdentityThreads {
  static final int CAP_SETGID = 6;
  static final int CAP_SETUID = 7;

  private final ConcurrentHashMap<BubblewrapSandbox.Identity, ExecutorService> threads =
      new ConcurrentHashMap<>();

  /** What this thread became: the identity, or {@link #FAILED}; null before the change. */
  private static final ThreadLocal<Object> BECAME = new ThreadLocal<>();

  private static final Object FAILED = new Object();

  /** Whether this process may change a thread's ids here (root with CAP_SETUID and CAP_SETGID). */
  static boolean available() {
    return Libc.threadIdentitySupported()
        && RlimitLaunch.hasCapability(CAP_SETUID)
        && RlimitLaunch.hasCapability(CAP_SETGID);
  }

  /** Runs {@code task} on the thread of {@code id}, which has that identity and no other. */
  <T> T call(BubblewrapSandbox.Identity id, String what, Callable<T> task) throws IOException {
    ExecutorService e =
        threads.computeIfAbsent(
            id,
            k ->
                Executors.newSingleThreadExecutor(
                    r -> {
                      Thread t = new Thread(r, "blvm-sandbox-launcher-" + k.uid());
                      t.setDaemon(true);
                      return t;
                    }));
    Future<T> f =
        e.submit(
            () -> {
              become(id);
              return task.call();
            });
    try {
      return BubblewrapSandbox.awaitThroughInterrupts(f);
    } catch (ExecutionException ee) {
      Throwable c = ee.getCause();
      if (c instanceof IOException io) {
        throw io;
      }
      throw new SandboxException(what + " failed: " + c, c);
    }
  }

  private static void become(BubblewrapSandbox.Identity id) throws SandboxException {
    Object was = BECAME.get();
    if (was == null) {
      BECAME.set(FAILED); // until the change is read back complete
      try {
        Libc.becomeOnThisThread(
            id.uid(),
            id.gid(),
            id.gid() == id.sharedGid() ? new int[0] : new int[] {id.sharedGid()});
      } catch (NativeException e) {
        throw new SandboxException(
            "cannot become uid " + id.uid() + " gid " + id.gid() + " on the launcher thread", e);
      }
      BECAME.set(id);
    } else if (!id.equals(was)) {
      throw new SandboxException(
          "the launcher thread of uid " + id.uid() + " failed to change its ids earlier");
    }
  }
}
