package org.blvm.admin;

import java.util.Optional;

/** The codes of an error answer ({@code error.code}); docs/admin.md says when each is sent. */
public enum AdminErrorCode {
  /** The line is not a valid request: not JSON, not an object, a wrong or unknown key. */
  BAD_REQUEST,
  /** The request line is longer than {@link AdminProtocol#MAX_REQUEST_BYTES}; the node closes. */
  TOO_LARGE,
  /** No command of that name. */
  UNKNOWN_COMMAND,
  /** No module of that name. */
  UNKNOWN_MODULE,
  /** The module is in a state the operation does not apply to (e.g. starting a running one). */
  WRONG_STATE,
  /** The policy file is invalid; {@code details.problems} lists every problem. Nothing changed. */
  INVALID_POLICY,
  /** The node config file is invalid; the old config stays in force. Nothing changed. */
  INVALID_CONFIG,
  /** The node has no such file or feature configured (e.g. no node config to reload). */
  NOT_CONFIGURED,
  /** Over the connection's request rate; the connection stays open. */
  RATE_LIMITED,
  /** Every admin connection slot is taken; the node closes. */
  BUSY,
  /** The peer's uid is neither the node's nor root's; the node closes. */
  FORBIDDEN,
  /** The operation did not reach its final state in time; {@code details} says where it is. */
  TIMEOUT,
  /** The node is stopping. */
  SHUTTING_DOWN,
  /** A failure inside the node; the node's log has the details. */
  INTERNAL;

  /** The code named {@code name}, if there is one. */
  public static Optional<AdminErrorCode> fromWire(String name) {
    for (AdminErrorCode c : values()) {
      if (c.name().equals(name)) {
        return Optional.of(c);
      }
    }
    return Optional.empty();
  }
}
