package org.blvm.node;

import java.util.ArrayList;
import java.util.List;

/**
 * A Bitcoin transaction in the network serialization: version, inputs, outputs, lock time, and,
 * when any input has one, the BIP 144 witness. The txid is the double SHA-256 of the serialization
 * without witness data. Immutable.
 */
final class Tx {
  /** Longest script (Bitcoin Core's MAX_SCRIPT_SIZE). */
  static final int MAX_SCRIPT_BYTES = 10_000;

  private static final int MAX_WITNESS_ITEM_BYTES = 100_000;

  private final int version;
  private final List<TxIn> inputs;
  private final List<TxOut> outputs;
  private final long lockTime;
  private final byte[] raw;
  private final int strippedSize;
  private final byte[] txidInternal;
  private final String txid;

  Tx(int version, List<TxIn> inputs, List<TxOut> outputs, long lockTime) {
    this.version = version;
    this.inputs = List.copyOf(inputs);
    this.outputs = List.copyOf(outputs);
    this.lockTime = lockTime;
    byte[] stripped = serialize(false);
    this.strippedSize = stripped.length;
    this.raw = hasWitness() ? serialize(true) : stripped;
    this.txidInternal = Hashes.sha256d(stripped);
    this.txid = Hashes.display(txidInternal);
  }

  /** Parses exactly one transaction from {@code bytes} (no trailing bytes). */
  static Tx parse(byte[] bytes) throws DecodeException {
    ByteReader r = new ByteReader(bytes);
    Tx tx = read(r);
    if (r.remaining() != 0) {
      throw new DecodeException(r.remaining() + " bytes after the transaction");
    }
    return tx;
  }

  static Tx read(ByteReader r) throws DecodeException {
    int version = (int) r.le32();
    boolean segwit = false;
    if (r.peek() == 0) {
      r.u8();
      int flag = r.u8();
      if (flag != 1) {
        throw new DecodeException("unknown transaction flag " + flag);
      }
      segwit = true;
    }
    int nIn = r.count(41, "input");
    List<Outpoint> prevouts = new ArrayList<>(nIn);
    List<Bytes> scripts = new ArrayList<>(nIn);
    List<Long> sequences = new ArrayList<>(nIn);
    for (int i = 0; i < nIn; i++) {
      String txid = Hashes.display(r.bytes(32));
      long vout = r.le32();
      prevouts.add(new Outpoint(txid, vout));
      scripts.add(r.varBytes(MAX_SCRIPT_BYTES, "input script"));
      sequences.add(r.le32());
    }
    int nOut = r.count(9, "output");
    List<TxOut> outputs = new ArrayList<>(nOut);
    for (int i = 0; i < nOut; i++) {
      long value = r.le64();
      outputs.add(new TxOut(value, r.varBytes(MAX_SCRIPT_BYTES, "output script")));
    }
    List<List<Bytes>> witnesses = new ArrayList<>(nIn);
    boolean anyWitness = false;
    for (int i = 0; i < nIn; i++) {
      List<Bytes> stack = new ArrayList<>();
      if (segwit) {
        int items = r.count(1, "witness item");
        for (int j = 0; j < items; j++) {
          stack.add(r.varBytes(MAX_WITNESS_ITEM_BYTES, "witness item"));
        }
        anyWitness |= items > 0;
      }
      witnesses.add(stack);
    }
    if (segwit && !anyWitness) {
      throw new DecodeException("witness flag set but no witness data (superfluous witness)");
    }
    long lockTime = r.le32();
    List<TxIn> inputs = new ArrayList<>(nIn);
    for (int i = 0; i < nIn; i++) {
      inputs.add(new TxIn(prevouts.get(i), scripts.get(i), sequences.get(i), witnesses.get(i)));
    }
    return new Tx(version, inputs, outputs, lockTime);
  }

  private boolean hasWitness() {
    for (TxIn in : inputs) {
      if (!in.witness().isEmpty()) {
        return true;
      }
    }
    return false;
  }

  private byte[] serialize(boolean withWitness) {
    ByteWriter w = new ByteWriter().le32(version);
    if (withWitness) {
      w.u8(0).u8(1);
    }
    w.varint(inputs.size());
    for (TxIn in : inputs) {
      w.bytes(Hashes.internal(in.prevout().txid()))
          .le32(in.prevout().vout())
          .varBytes(in.scriptSig())
          .le32(in.sequence());
    }
    w.varint(outputs.size());
    for (TxOut out : outputs) {
      w.le64(out.value()).varBytes(out.script());
    }
    if (withWitness) {
      for (TxIn in : inputs) {
        w.varint(in.witness().size());
        for (Bytes item : in.witness()) {
          w.varBytes(item);
        }
      }
    }
    return w.le32(lockTime).toArray();
  }

  int version() {
    return version;
  }

  List<TxIn> inputs() {
    return inputs;
  }

  List<TxOut> outputs() {
    return outputs;
  }

  long lockTime() {
    return lockTime;
  }

  /** Display-order txid. */
  String txid() {
    return txid;
  }

  byte[] txidInternal() {
    return txidInternal.clone();
  }

  /** Bytes of the full serialization. */
  int size() {
    return raw.length;
  }

  /** Virtual size: weight / 4, rounded up; the size without witness for a transaction with none. */
  long vsize() {
    long weight = strippedSize * 3L + raw.length;
    return (weight + 3) / 4;
  }

  byte[] raw() {
    return raw.clone();
  }

  void writeTo(ByteWriter w) {
    w.bytes(raw);
  }

  String hex() {
    return Hashes.hex(raw);
  }

  boolean isCoinbase() {
    return inputs.size() == 1 && inputs.get(0).prevout().isNull();
  }

  long outputTotal() {
    long sum = 0;
    for (TxOut o : outputs) {
      sum += o.value();
    }
    return sum;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Tx t && java.util.Arrays.equals(raw, t.raw);
  }

  @Override
  public int hashCode() {
    return txid.hashCode();
  }

  @Override
  public String toString() {
    return "Tx " + txid;
  }
}
