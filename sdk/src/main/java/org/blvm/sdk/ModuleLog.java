package org.blvm.sdk;

import java.io.IOException;
import org.blvm.protocol.Message;

/**
 * Log lines of the SDK and the module: to the node ({@code log} messages, which reach the node's
 * log tagged with the module id) and, for failures of module code, also to this process's {@link
 * System.Logger} {@code blvm.sdk} with the stack trace.
 */
final class ModuleLog {
  private final NodeChannel channel;
  private final Lifecycle life;
  private final int maxChars;

  /**
   * @param maxChars longest line sent; longer ones are cut and end with "…"
   */
  ModuleLog(NodeChannel channel, Lifecycle life, int maxChars) {
    this.channel = channel;
    this.life = life;
    this.maxChars = maxChars;
  }

  /** Sends a line to the node; dropped once the client is closed or the connection broken. */
  void send(Message.LogLevel level, String message) {
    if (life.isClosed()) {
      return;
    }
    String text = message.length() > maxChars ? message.substring(0, maxChars) + "…" : message;
    try {
      channel.send(new Message.Log(level, text));
    } catch (IOException e) {
      // the reader notices the broken connection and closes
    }
  }

  /**
   * Module code failed: logged here with its stack trace, and sent to the node. The logger is
   * looked up here, not when the class loads: setting up logging loads over a hundred classes a
   * module's connect does not otherwise need.
   */
  void report(String what, Throwable t) {
    System.getLogger("blvm.sdk").log(System.Logger.Level.ERROR, what, t);
    send(Message.LogLevel.ERROR, what + ": " + t);
  }
}
