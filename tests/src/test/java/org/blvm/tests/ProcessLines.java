package org.blvm.tests;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;

/** The output lines of a child process, read on a daemon thread as they come. */
final class ProcessLines {
  private ProcessLines() {}

  /**
   * Starts reading {@code p}'s standard output into the returned queue; each line is also printed
   * with {@code echoPrefix} when it is not null (so it lands in the test's report).
   */
  static BlockingQueue<String> of(Process p, String echoPrefix) {
    BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    Thread t =
        new Thread(
            () -> {
              try (BufferedReader r =
                  new BufferedReader(
                      new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String l;
                while ((l = r.readLine()) != null) {
                  if (echoPrefix != null) {
                    System.out.println(echoPrefix + l);
                  }
                  lines.add(l);
                }
              } catch (IOException e) {
                // the process ended
              }
            },
            "blvm-test-process-output");
    t.setDaemon(true);
    t.start();
    return lines;
  }
}
