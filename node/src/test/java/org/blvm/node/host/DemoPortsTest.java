package org.blvm.node.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.channels.ServerSocketChannel;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.blvm.loader.ModuleState;
import org.blvm.loader.ModuleStatus;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The demo's answer to a port taken between its pick and the loader's bind ({@link DemoPorts}):
 * ports held by the test are taken for real, each attempt binds its ports as the loader does at a
 * module's start, and the demo starts again on fresh ports, naming every taken port when it gives
 * up.
 */
class DemoPortsTest {
  private final List<ServerSocket> held = new ArrayList<>();
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();
  private final List<List<Integer>> attempts = new ArrayList<>();

  @AfterEach
  void release() throws IOException {
    for (ServerSocket s : held) {
      s.close();
    }
  }

  /** A loopback port this test holds until it ends. */
  private int hold() throws IOException {
    ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
    held.add(s);
    return s.getLocalPort();
  }

  /** The ports of {@code first}, then fresh ones picked as the demo picks them. */
  private static DemoPorts.Picker picking(Integer... first) {
    Deque<Integer> queue = new ArrayDeque<>(List.of(first));
    return () -> {
      if (!queue.isEmpty()) {
        return queue.poll();
      }
      try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
        return s.getLocalPort();
      }
    };
  }

  /** Binds both ports on 127.0.0.1 as the loader does; a port in use is reported taken. */
  private DemoPorts.Outcome bindBoth(int stratum, int mesh) throws IOException {
    attempts.add(List.of(stratum, mesh));
    List<ServerSocketChannel> bound = new ArrayList<>();
    try {
      for (int port : List.of(stratum, mesh)) {
        ServerSocketChannel ch = ServerSocketChannel.open();
        bound.add(ch);
        try {
          ch.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), port), 128);
        } catch (BindException e) {
          return DemoPorts.Outcome.taken("127.0.0.1:" + port);
        }
      }
      return DemoPorts.Outcome.done(NodeExitCodes.OK);
    } finally {
      for (ServerSocketChannel ch : bound) {
        ch.close();
      }
    }
  }

  private int run(DemoPorts.Picker picker) throws Exception {
    return DemoPorts.run(picker, this::bindBoth, new PrintWriter(out), new PrintWriter(err));
  }

  @Test
  void portTakenBeforeTheBind_demoStartsAgainOnFreshPorts() throws Exception {
    int taken = hold();

    int code = run(picking(taken));

    assertEquals(NodeExitCodes.OK, code, err::toString);
    assertEquals(2, attempts.size(), "one more attempt");
    assertEquals(taken, attempts.get(0).get(0));
    assertTrue(!attempts.get(1).contains(taken), () -> "fresh ports: " + attempts);
    assertEquals(
        "blvm demo: 127.0.0.1:"
            + taken
            + " was taken by another process before its module could listen on it;"
            + " starting again on fresh ports",
        out.toString().strip());
    assertEquals("", err.toString());
  }

  @Test
  void everyAttemptTaken_givesUpAfterThree_namingEachPort() throws Exception {
    int a = hold();
    int b = hold();
    int c = hold();
    int free = picking().pick();

    int code = run(picking(free, a, free, b, c, free, free, free));

    assertEquals(NodeExitCodes.STARTUP, code);
    assertEquals(DemoPorts.ATTEMPTS, attempts.size(), () -> "bounded: " + attempts);
    assertEquals(
        "blvm-node: the demo could not listen on the ports it picked, each taken by another"
            + " process before its module bound it: 127.0.0.1:"
            + a
            + ", 127.0.0.1:"
            + b
            + ", 127.0.0.1:"
            + c
            + " (3 attempts)",
        err.toString().strip());
  }

  @Test
  void taken_readsTheLoadersRefusalOfItsPortOnly() {
    DemoLayout.Ports ports = new DemoLayout.Ports(1, 4001, 4002);
    String refusal =
        "cannot listen on 127.0.0.1:4002 for module mesh-b ([modules.mesh-b.network] listen):"
            + " bind: Address already in use";
    Map<String, ModuleStatus> failed =
        Map.of(DemoLayout.MESH_B, status(DemoLayout.MESH_B, ModuleState.FAILED, refusal));

    assertEquals("127.0.0.1:4002", DemoPorts.taken(n -> Optional.ofNullable(failed.get(n)), ports));
    assertNull(
        DemoPorts.taken(n -> Optional.of(status(n, ModuleState.STARTED, null)), ports),
        "running modules");
    assertNull(
        DemoPorts.taken(
            n -> Optional.of(status(n, ModuleState.FAILED, "exited with status 1")), ports),
        "another failure");
    assertNull(
        DemoPorts.taken(
            n -> Optional.of(status(n, ModuleState.FAILED, refusal.replace("4002", "40021"))),
            ports),
        "another port that begins with the same digits");
  }

  private static ModuleStatus status(String name, ModuleState state, String detail) {
    return new ModuleStatus(name, "0.1.0", state, OptionalLong.empty(), detail);
  }
}
