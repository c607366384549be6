package org.blvm.loader;

import org.blvm.protocol.Message;

/**
 * Receives the log lines modules send. Called on the module's reader thread: return quickly. The
 * default writes to the {@code System.Logger} named {@code blvm.module.<id>}.
 */
@FunctionalInterface
public interface ModuleLogListener {
  void onLog(String moduleId, Message.LogLevel level, String message);
}
