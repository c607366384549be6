package org.blvm.policy;

import java.util.List;
import org.blvm.protocol.NetAddress;

/**
 * What the operator's policy lets one module reach over the network ({@code
 * [modules.<name>.network]} or {@code network = "host"}; reference: docs/policy.md).
 *
 * @param host {@code network = "host"}: the module shares the host's network namespace (the escape
 *     hatch: it reaches everything the host reaches, and no rule or limit below applies)
 * @param connect destinations {@code net_connect} may reach (with the {@code network_connect}
 *     capability)
 * @param listen addresses the loader binds at the module's start and hands over on {@code
 *     net_listen} (with the {@code network_listen} capability)
 * @param maxSockets most brokered connections the module may hold open at once
 * @param connectsPerSecond {@code net_connect} requests refilled per second into a bucket of as
 *     many
 */
public record NetworkPolicy(
    boolean host,
    List<ConnectRule> connect,
    List<NetAddress.Endpoint> listen,
    int maxSockets,
    int connectsPerSecond) {

  /** {@code max_sockets} when the policy does not set it. */
  public static final int DEFAULT_MAX_SOCKETS = 64;

  /** {@code connects_per_second} when the policy does not set it. */
  public static final int DEFAULT_CONNECTS_PER_SECOND = 10;

  /** Most {@code connect} entries of one module. */
  public static final int MAX_CONNECT_RULES = 256;

  /** Most {@code listen} entries of one module. */
  public static final int MAX_LISTEN = 16;

  /** Brokered, with no destination and no listening address. */
  public static final NetworkPolicy NONE =
      new NetworkPolicy(
          false, List.of(), List.of(), DEFAULT_MAX_SOCKETS, DEFAULT_CONNECTS_PER_SECOND);

  public NetworkPolicy {
    connect = List.copyOf(connect);
    listen = List.copyOf(listen);
    if (maxSockets < 1 || connectsPerSecond < 1) {
      throw new IllegalArgumentException(
          "max_sockets and connects_per_second must be >= 1, found "
              + maxSockets
              + " and "
              + connectsPerSecond);
    }
    if (connect.size() > MAX_CONNECT_RULES || listen.size() > MAX_LISTEN) {
      throw new IllegalArgumentException(
          "at most "
              + MAX_CONNECT_RULES
              + " connect rules and "
              + MAX_LISTEN
              + " listen addresses");
    }
  }
}
