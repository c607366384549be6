package org.blvm.modules.stratum;

/**
 * A frame or message a miner sent that does not follow the specification: the connection that sent
 * it is closed with this message in the log.
 */
final class MalformedFrameException extends Exception {
  private static final long serialVersionUID = 1L;

  MalformedFrameException(String message) {
    super(message);
  }
}
