package org.blvm.node;

/** Output scripts: witness programs and the coinbase's BIP 34 height push. */
final class Scripts {
  private Scripts() {}

  /** {@code OP_0 <20 bytes>}: pay to witness public key hash. */
  static Bytes p2wpkh(byte[] program) {
    if (program.length != 20) {
      throw new IllegalArgumentException("a P2WPKH program has 20 bytes, found " + program.length);
    }
    return Bytes.owned(new ByteWriter().u8(0).u8(20).bytes(program).toArray());
  }

  /** The witness program of {@code OP_n <2..40 bytes>}, or null for any other script. */
  static Bech32.WitnessProgram witnessProgram(Bytes script) {
    int n = script.length();
    if (n < 4 || n > 42) {
      return null;
    }
    int op = script.at(0) & 0xff;
    int version;
    if (op == 0) {
      version = 0;
    } else if (op >= 0x51 && op <= 0x60) {
      version = op - 0x50;
    } else {
      return null;
    }
    int len = script.at(1) & 0xff;
    if (len != n - 2 || !Bech32.validProgram(version, len)) {
      return null;
    }
    byte[] all = script.toArray();
    byte[] program = new byte[len];
    System.arraycopy(all, 2, program, 0, len);
    return new Bech32.WitnessProgram(version, Bytes.owned(program));
  }

  /** The address of a witness-program script, or null. */
  static String address(String hrp, Bytes script) {
    Bech32.WitnessProgram p = witnessProgram(script);
    return p == null ? null : Bech32.encode(hrp, p.version(), p.program().toArray());
  }

  /** The script of a witness-program address for {@code hrp}, or null. */
  static Bytes fromAddress(String hrp, String address) {
    return Bech32.decode(hrp, address)
        .map(
            p -> {
              byte[] prog = p.program().toArray();
              return Bytes.owned(
                  new ByteWriter()
                      .u8(p.version() == 0 ? 0 : 0x50 + p.version())
                      .u8(prog.length)
                      .bytes(prog)
                      .toArray());
            })
        .orElse(null);
  }

  /**
   * Bitcoin Core's {@code CScript() << height}: OP_0, OP_1 … OP_16, or a minimal push of the
   * little-endian, sign-bit-aware script number. BIP 34 requires the coinbase's input script to
   * start with these bytes.
   */
  static byte[] heightPush(long height) {
    if (height == 0) {
      return new byte[] {0};
    }
    if (height >= 1 && height <= 16) {
      return new byte[] {(byte) (0x50 + height)};
    }
    ByteWriter num = new ByteWriter();
    long v = height;
    while (v > 0) {
      num.u8((int) (v & 0xff));
      v >>>= 8;
    }
    byte[] b = num.toArray();
    if ((b[b.length - 1] & 0x80) != 0) {
      b = java.util.Arrays.copyOf(b, b.length + 1);
    }
    return new ByteWriter().u8(b.length).bytes(b).toArray();
  }
}
