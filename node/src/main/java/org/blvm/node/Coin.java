package org.blvm.node;

/** An unspent output: its value and script, and the block height and kind that created it. */
record Coin(TxOut output, long height, boolean coinbase) {}
