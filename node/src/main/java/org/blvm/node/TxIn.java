package org.blvm.node;

import java.util.List;

/** A transaction input; {@code witness} is empty for inputs serialized without one. */
record TxIn(Outpoint prevout, Bytes scriptSig, long sequence, List<Bytes> witness) {
  TxIn {
    witness = List.copyOf(witness);
  }

  TxIn(Outpoint prevout, Bytes scriptSig, long sequence) {
    this(prevout, scriptSig, sequence, List.of());
  }
}
