package org.blvm.node.admin;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.function.Function;
import org.blvm.admin.AdminErrorCode;
import org.blvm.admin.AdminException;

/** The tail of a file as an answer: its last lines, and with {@code follow}, lines as they come. */
final class Follow {
  /** How often a followed file is looked at. */
  static final Duration POLL = Duration.ofMillis(250);

  private Follow() {}

  /**
   * Sends the last {@code lines} lines of {@code tail} that {@code render} keeps (non-null), then,
   * when {@code follow}, every later one until the client leaves; returns how many were sent.
   */
  static int run(
      AdminCall call, FileTail tail, int lines, boolean follow, Function<String, ObjectNode> render)
      throws AdminException, InterruptedException {
    int sent = 0;
    try {
      List<ObjectNode> backlog = new java.util.ArrayList<>();
      for (String line : tail.last(Integer.MAX_VALUE)) {
        ObjectNode n = render.apply(line);
        if (n != null) {
          backlog.add(n);
        }
      }
      for (ObjectNode n : backlog.subList(Math.max(0, backlog.size() - lines), backlog.size())) {
        if (!call.emit(n)) {
          return sent;
        }
        sent++;
      }
      while (follow && !call.awaitCancel(POLL)) {
        for (String line : tail.poll()) {
          ObjectNode n = render.apply(line);
          if (n != null) {
            if (!call.emit(n)) {
              return sent;
            }
            sent++;
          }
        }
      }
    } catch (IOException e) {
      throw new AdminException(AdminErrorCode.INTERNAL, "cannot read the file: " + e.getMessage());
    }
    return sent;
  }
}
