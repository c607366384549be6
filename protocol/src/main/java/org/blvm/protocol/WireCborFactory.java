package org.blvm.protocol;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.ObjectCodec;
import com.fasterxml.jackson.core.io.IOContext;
import com.fasterxml.jackson.dataformat.cbor.CBORFactory;
import com.fasterxml.jackson.dataformat.cbor.CBORGenerator;
import java.io.IOException;
import java.io.OutputStream;
import java.math.BigInteger;

/**
 * Jackson's CBOR output as the protocol requires it (docs/protocol.md §2.2): an integer is always a
 * major type 0 or 1 item in its shortest form. Jackson writes every {@link BigInteger} as a bignum
 * (tag 2 or 3), which no peer accepts; but the reader turns a CBOR integer beyond the 64-bit signed
 * range (up to 2^64 − 1, down to −2^64) into a {@code BigIntegerNode}, so a free-form value the
 * node relays (a module's event payload, a call's result) would reach its receiver as a tag and
 * close that receiver's connection. This factory's generators write such integers as major type 0/1
 * with an 8-byte argument; integers beyond ±2^64 cannot be written in the accepted subset and still
 * come out as bignums (the reader never produces them).
 */
final class WireCborFactory extends CBORFactory {
  private static final long serialVersionUID = 1L;

  private static final BigInteger TWO_64 = BigInteger.ONE.shiftLeft(64);

  @Override
  public CBORGenerator createGenerator(OutputStream out, JsonEncoding enc) throws IOException {
    return createGenerator(out);
  }

  @Override
  public CBORGenerator createGenerator(OutputStream out) throws IOException {
    IOContext ctxt = _createContext(_createContentReference(out), false);
    return new Generator(
        ctxt, _generatorFeatures, _formatGeneratorFeatures, _objectCodec, _decorate(out, ctxt));
  }

  @Override
  public CBORFactory copy() {
    return new WireCborFactory();
  }

  private static final class Generator extends CBORGenerator {
    Generator(IOContext ctxt, int features, int formatFeatures, ObjectCodec codec, OutputStream o) {
      super(ctxt, features, formatFeatures, codec, o);
    }

    /** Called by {@code writeNumber(BigInteger)} after the value was counted in its container. */
    @Override
    protected void _write(BigInteger v) throws IOException {
      if (v.signum() >= 0 && v.compareTo(TWO_64) < 0) {
        head(0, v.longValue());
      } else if (v.signum() < 0 && v.bitLength() <= 64) {
        // −2^64 ≤ v < 0 is major type 1 with argument −1 − v = ~v, in 0 … 2^64 − 1
        head(1, v.not().longValue());
      } else {
        super._write(v);
      }
    }

    /** A head with an unsigned 64-bit argument, shortest form. */
    private void head(int major, long unsigned) throws IOException {
      int mt = major << 5;
      if (Long.compareUnsigned(unsigned, 24) < 0) {
        writeRaw((byte) (mt | (int) unsigned));
        return;
      }
      int bytes;
      if (Long.compareUnsigned(unsigned, 0x100) < 0) {
        writeRaw((byte) (mt | 24));
        bytes = 1;
      } else if (Long.compareUnsigned(unsigned, 0x10000) < 0) {
        writeRaw((byte) (mt | 25));
        bytes = 2;
      } else if (Long.compareUnsigned(unsigned, 0x1_0000_0000L) < 0) {
        writeRaw((byte) (mt | 26));
        bytes = 4;
      } else {
        writeRaw((byte) (mt | 27));
        bytes = 8;
      }
      for (int shift = 8 * (bytes - 1); shift >= 0; shift -= 8) {
        writeRaw((byte) (unsigned >>> shift));
      }
    }
  }
}
