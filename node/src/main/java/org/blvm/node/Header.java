package org.blvm.node;

/**
 * An 80-byte block header. {@code prevHash} and {@code merkleRoot} are in display order here and
 * internal order in the serialization; the block hash is the double SHA-256 of the 80 bytes.
 */
record Header(int version, String prevHash, String merkleRoot, long time, long bits, long nonce) {
  static final int SIZE = 80;

  byte[] serialize() {
    return new ByteWriter()
        .le32(version)
        .bytes(Hashes.internal(prevHash))
        .bytes(Hashes.internal(merkleRoot))
        .le32(time)
        .le32(bits)
        .le32(nonce)
        .toArray();
  }

  byte[] hashInternal() {
    return Hashes.sha256d(serialize());
  }

  static Header read(ByteReader r) throws DecodeException {
    int version = (int) r.le32();
    String prev = Hashes.display(r.bytes(32));
    String root = Hashes.display(r.bytes(32));
    return new Header(version, prev, root, r.le32(), r.le32(), r.le32());
  }

  Header withNonce(long n) {
    return new Header(version, prevHash, merkleRoot, time, bits, n);
  }
}
