package org.blvm.loader;

import java.io.IOException;
import java.nio.file.Path;
import org.newsclub.net.unix.AFUNIXSocket;

/**
 * Makes junixsocket's native library loadable before the loader first uses a Unix socket.
 * junixsocket unpacks the library into {@code java.io.tmpdir} unless {@value #TMPDIR_PROPERTY}
 * names another directory; the loader points it at a private directory of its own (under its
 * runtime directory), unless the embedder set the property already, so a node whose tmpdir is not
 * writable still starts.
 */
final class NativePreflight {
  /** junixsocket's setting for where it unpacks its native library. */
  static final String TMPDIR_PROPERTY = "org.newsclub.net.unix.library.tmpdir";

  private NativePreflight() {}

  /**
   * Sets {@value #TMPDIR_PROPERTY} to {@code <runtimeDir>/native} (0700) unless it is set, then
   * loads the library. A library that cannot be loaded is an IOException naming the directory and
   * the fix, never an Error.
   */
  static void prepare(Path runtimeDir) throws IOException {
    String dir = System.getProperty(TMPDIR_PROPERTY);
    if (dir == null) {
      Path own = runtimeDir.resolve("native");
      PrivateDirs.create(own);
      dir = own.toString();
      System.setProperty(TMPDIR_PROPERTY, dir);
    }
    String problem;
    try {
      problem = AFUNIXSocket.isSupported() ? null : "it is not supported on this system";
    } catch (LinkageError e) {
      problem = e.toString();
    }
    if (problem != null) {
      throw new IOException(
          "preflight: junixsocket's native library cannot be loaded ("
              + problem
              + "); it is unpacked into "
              + dir
              + ": make that directory writable by the loader's user, or start the JVM with -D"
              + TMPDIR_PROPERTY
              + "=<a directory it can write>");
    }
  }
}
