package org.blvm.protocol;

import java.util.Locale;
import java.util.Optional;

/**
 * The fixed catalog of capabilities a module can be granted. Names on the wire are the snake_case
 * form of the constant ({@code read_blockchain}).
 */
public enum Capability {
  READ_BLOCKCHAIN,
  READ_CHAIN_STATE,
  READ_UTXO,
  READ_MEMPOOL,
  READ_NETWORK,
  SUBSCRIBE_EVENTS,
  PUBLISH_EVENTS,
  CALL_MODULE,
  REGISTER_MODULE_API,
  DISCOVER_MODULES,
  SUBMIT_BLOCK,
  SEND_TRANSACTIONS,
  REPORT_METRICS,
  READ_CONFIG,
  /**
   * {@code net_connect}: TCP connections the node opens on the module's behalf to destinations the
   * operator's policy lists, handed over as descriptors.
   */
  NETWORK_CONNECT,
  /**
   * {@code net_listen}: listening TCP sockets the node binds for the module at the policy's
   * addresses.
   */
  NETWORK_LISTEN;

  private final String wireName = name().toLowerCase(Locale.ROOT);

  /** The name used on the wire, in manifests and in policy files. */
  public String wireName() {
    return wireName;
  }

  /** Looks a capability up by its wire name; exact match only. */
  public static Optional<Capability> fromWire(String name) {
    for (Capability c : values()) {
      if (c.wireName.equals(name)) {
        return Optional.of(c);
      }
    }
    return Optional.empty();
  }

  @Override
  public String toString() {
    return wireName;
  }
}
