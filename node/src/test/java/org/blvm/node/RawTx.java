package org.blvm.node;

import java.io.ByteArrayOutputStream;
import java.util.HexFormat;
import java.util.List;

/** Transactions built byte by byte from the Bitcoin serialization, independently of the chain. */
final class RawTx {
  private static final HexFormat HEX = HexFormat.of();

  private RawTx() {}

  /**
   * Version 2; one input per txid (display order), each spending output {@code vout} with {@code
   * scriptSig} and {@code sequence}; one output of {@code value} to the length-prefixed {@code
   * scriptHex} (no output when value is negative); lock time 0.
   */
  static byte[] build(
      List<String> txids,
      long vout,
      byte[] scriptSig,
      long sequence,
      long value,
      String scriptHex) {
    ByteArrayOutputStream tx = new ByteArrayOutputStream();
    TestMiner.le32(tx, 2);
    tx.write(txids.size());
    for (String txid : txids) {
      tx.writeBytes(TestMiner.reverse(HEX.parseHex(txid)));
      TestMiner.le32(tx, vout);
      tx.write(scriptSig.length);
      tx.writeBytes(scriptSig);
      TestMiner.le32(tx, sequence);
    }
    if (value < 0) {
      tx.write(0);
    } else {
      tx.write(1);
      for (int i = 0; i < 8; i++) {
        tx.write((int) (value >>> (8 * i)) & 0xff);
      }
      tx.writeBytes(HEX.parseHex(scriptHex));
    }
    TestMiner.le32(tx, 0);
    return tx.toByteArray();
  }

  /** A P2WPKH output script, length-prefixed, with all 20 program bytes {@code fill}. */
  static String p2wpkh(int fill) {
    return "160014" + String.format("%02x", fill).repeat(20);
  }
}
