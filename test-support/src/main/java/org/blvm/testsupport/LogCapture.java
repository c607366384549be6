package org.blvm.testsupport;

import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;

/**
 * Collects every formatted line logged under a java.util.logging logger (where System.Logger output
 * goes by default) and its children, at every level, with the stack trace of a logged throwable.
 */
public final class LogCapture extends Handler {
  private final SimpleFormatter formatter = new SimpleFormatter();
  private final List<String> lines;
  private final Logger logger;
  private final Level oldLevel;

  private LogCapture(Logger logger, List<String> lines) {
    this.logger = logger;
    this.lines = lines;
    this.oldLevel = logger.getLevel();
    setLevel(Level.ALL);
  }

  /** Adds every line logged under {@code name} to {@code lines} until {@link #uninstall}. */
  public static LogCapture install(String name, List<String> lines) {
    LogCapture c = new LogCapture(Logger.getLogger(name), lines);
    c.logger.setLevel(Level.ALL);
    c.logger.addHandler(c);
    return c;
  }

  public void uninstall() {
    logger.removeHandler(this);
    logger.setLevel(oldLevel);
  }

  @Override
  public void publish(LogRecord r) {
    lines.add(formatter.format(r));
  }

  @Override
  public void flush() {}

  @Override
  public void close() {}
}
