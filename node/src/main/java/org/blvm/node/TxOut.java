package org.blvm.node;

/** A transaction output: value in satoshis and the output script. */
record TxOut(long value, Bytes script) {}
