package org.blvm.node;

import java.util.ArrayList;
import java.util.List;

/** A block: its header and transactions (the coinbase first), in the network serialization. */
final class Block {
  /** Most transactions a block may declare (every transaction has at least 60 bytes). */
  static final int MAX_TRANSACTIONS = 100_000;

  private final Header header;
  private final String hash;
  private final List<Tx> txs;
  private final int size;

  Block(Header header, List<Tx> txs) {
    this.header = header;
    this.hash = Hashes.display(header.hashInternal());
    this.txs = List.copyOf(txs);
    int s = Header.SIZE + new ByteWriter().varint(txs.size()).length();
    for (Tx tx : txs) {
      s += tx.size();
    }
    this.size = s;
  }

  /** Parses a whole serialized block (no trailing bytes). */
  static Block parse(byte[] bytes) throws DecodeException {
    ByteReader r = new ByteReader(bytes);
    if (r.remaining() < Header.SIZE) {
      throw new DecodeException(
          "a block needs at least " + Header.SIZE + " bytes, found " + r.remaining());
    }
    Header header = Header.read(r);
    int n = r.count(10, "transaction");
    if (n > MAX_TRANSACTIONS) {
      throw new DecodeException(
          "transaction count " + n + " exceeds the limit of " + MAX_TRANSACTIONS);
    }
    List<Tx> txs = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      txs.add(Tx.read(r));
    }
    if (r.remaining() != 0) {
      throw new DecodeException(r.remaining() + " bytes after the last transaction");
    }
    return new Block(header, txs);
  }

  byte[] serialize() {
    ByteWriter w = new ByteWriter().bytes(header.serialize()).varint(txs.size());
    for (Tx tx : txs) {
      tx.writeTo(w);
    }
    return w.toArray();
  }

  Header header() {
    return header;
  }

  /** Display-order block hash. */
  String hash() {
    return hash;
  }

  List<Tx> txs() {
    return txs;
  }

  int size() {
    return size;
  }

  /** Internal-order txids, the merkle tree's leaves. */
  List<byte[]> leaves() {
    List<byte[]> leaves = new ArrayList<>(txs.size());
    for (Tx tx : txs) {
      leaves.add(tx.txidInternal());
    }
    return leaves;
  }
}
