package org.blvm.node.host;

import java.io.IOException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import org.blvm.loader.ModuleState;
import org.blvm.loader.ModuleStatus;

/**
 * The loopback ports the demo picks for blvm-stratum-v2 and mesh-b, and what happens when one is
 * taken. A port is picked by binding port 0 and closing it; the loader binds it again only when it
 * starts the module, so another process can take it in between. The module's launch then fails
 * naming the address ({@code cannot listen on 127.0.0.1:P …}); the demo stops its node and starts
 * again on freshly picked ports, at most {@link #ATTEMPTS} times in all, and names every taken
 * address when the last attempt fails too.
 */
final class DemoPorts {
  /** How many times the demo starts its node on fresh ports before giving up. */
  static final int ATTEMPTS = 3;

  /** Picks a loopback port that was free a moment ago. */
  @FunctionalInterface
  interface Picker {
    int pick() throws IOException;
  }

  /**
   * How one attempt ended: its exit code, or the address a module could not listen on.
   *
   * @param taken {@code 127.0.0.1:P}, or null when the attempt ran to its end
   */
  record Outcome(int code, String taken) {
    static Outcome done(int code) {
      return new Outcome(code, null);
    }

    static Outcome taken(String address) {
      return new Outcome(NodeExitCodes.STARTUP, address);
    }
  }

  /** One run of the demo's node on the given ports. */
  @FunctionalInterface
  interface Attempt {
    Outcome run(int stratum, int mesh) throws Exception;
  }

  private DemoPorts() {}

  /**
   * Runs {@code attempt} on ports from {@code picker} until one runs to its end or {@link
   * #ATTEMPTS} found a port taken; returns the exit code.
   */
  static int run(Picker picker, Attempt attempt, PrintWriter out, PrintWriter err)
      throws Exception {
    List<String> taken = new ArrayList<>();
    for (int i = 1; ; i++) {
      int stratum = picker.pick();
      int mesh = picker.pick();
      while (mesh == stratum) {
        mesh = picker.pick();
      }
      Outcome o = attempt.run(stratum, mesh);
      if (o.taken() == null) {
        return o.code();
      }
      taken.add(o.taken());
      if (i == ATTEMPTS) {
        err.println(
            "blvm-node: the demo could not listen on the ports it picked, each taken by another"
                + " process before its module bound it: "
                + String.join(", ", taken)
                + " ("
                + ATTEMPTS
                + " attempts)");
        err.flush();
        return NodeExitCodes.STARTUP;
      }
      out.println(
          "blvm demo: "
              + o.taken()
              + " was taken by another process before its module could listen on it;"
              + " starting again on fresh ports");
      out.flush();
    }
  }

  /**
   * The address of {@code ports} that blvm-stratum-v2 or mesh-b failed to listen on, as their
   * status says, or null.
   */
  static String taken(Function<String, Optional<ModuleStatus>> status, DemoLayout.Ports ports) {
    String stratum = takenBy(status, DemoLayout.STRATUM, ports.stratum());
    return stratum != null ? stratum : takenBy(status, DemoLayout.MESH_B, ports.mesh());
  }

  private static String takenBy(
      Function<String, Optional<ModuleStatus>> status, String module, int port) {
    String address = "127.0.0.1:" + port;
    return status
        .apply(module)
        .filter(s -> s.state() == ModuleState.FAILED && s.detail() != null)
        .filter(s -> s.detail().contains("cannot listen on " + address + " "))
        .map(s -> address)
        .orElse(null);
  }
}
