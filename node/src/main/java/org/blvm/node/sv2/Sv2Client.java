package org.blvm.node.sv2;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.math.BigInteger;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;

/**
 * A Stratum V2 mining device written from the public specification (stratum-mining/sv2-spec: "Data
 * Types Mapping", "Framing", "Common Protocol Messages", "Mining Protocol Messages", "Message
 * Types") with the JDK only, independent of the module's classes: plaintext frames, a standard
 * channel, header-only mining on the jobs it is sent. The demo's miner and the end-to-end tests use
 * it. Not thread-safe: one thread drives a connection. Every read waits at most the socket timeout
 * given; a frame is at most 64 KiB.
 */
public final class Sv2Client implements AutoCloseable {
  /** One frame as received. */
  public record Frame(int extensionType, int msgType, ByteBuffer payload) {}

  /** The job being mined: from NewMiningJob and the SetNewPrevHash that activated it. */
  public record Work(
      long jobId, long version, byte[] merkleRoot, byte[] prevHash, long ntime, long nbits) {
    /** The 80-byte block header with {@code nonce}. */
    public byte[] header(long nonce) {
      ByteBuffer h = ByteBuffer.allocate(80).order(ByteOrder.LITTLE_ENDIAN);
      h.putInt((int) version).put(prevHash).put(merkleRoot);
      h.putInt((int) ntime).putInt((int) nbits).putInt((int) nonce);
      return h.array();
    }
  }

  private final Socket socket;
  private final DataInputStream in;
  private final OutputStream out;
  private long channelId = -1;
  private BigInteger target;
  private long futureJob = -1;
  private long futureVersion;
  private byte[] futureRoot;
  private final java.util.Map<Long, long[]> versions = new java.util.HashMap<>();
  private final java.util.Map<Long, byte[]> roots = new java.util.HashMap<>();
  private Work work;
  private int prevHashes;

  /** Connects to {@code host:port}; every read then waits at most 30 s. */
  public Sv2Client(String host, int port) throws IOException {
    this(host, port, 30_000);
  }

  /** Connects to {@code host:port} within {@code timeoutMillis}, reads wait at most as long. */
  public Sv2Client(String host, int port, int timeoutMillis) throws IOException {
    socket = new Socket();
    try {
      socket.connect(new java.net.InetSocketAddress(host, port), timeoutMillis);
      socket.setSoTimeout(timeoutMillis);
    } catch (IOException e) {
      socket.close();
      throw e;
    }
    in = new DataInputStream(socket.getInputStream());
    out = socket.getOutputStream();
  }

  // --- encoding: little-endian integers, STR0_255, U256 ---

  public static ByteBuffer buf(int n) {
    return ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
  }

  public static void str(ByteBuffer b, String s) {
    byte[] v = s.getBytes(StandardCharsets.UTF_8);
    b.put((byte) v.length).put(v);
  }

  public static byte[] u256(BigInteger v) {
    byte[] be = v.toByteArray();
    byte[] le = new byte[32];
    for (int i = 0; i < 32 && i < be.length; i++) {
      le[i] = be[be.length - 1 - i];
    }
    return le;
  }

  public static BigInteger number(byte[] le) {
    byte[] be = new byte[le.length];
    for (int i = 0; i < le.length; i++) {
      be[i] = le[le.length - 1 - i];
    }
    return new BigInteger(1, be);
  }

  /** The target a compact nBits encodes (mantissa · 256^(exponent − 3)). */
  public static BigInteger compactTarget(long nbits) {
    int exp = (int) (nbits >>> 24);
    BigInteger mantissa = BigInteger.valueOf(nbits & 0x7fffff);
    return exp <= 3 ? mantissa.shiftRight(8 * (3 - exp)) : mantissa.shiftLeft(8 * (exp - 3));
  }

  public static byte[] sha256d(byte[] b) {
    try {
      MessageDigest d = MessageDigest.getInstance("SHA-256");
      return d.digest(d.digest(b));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }

  /** Sends a frame: extension_type U16, msg_type U8, msg_length U24, payload. */
  public void send(int extensionType, int msgType, byte[] payload) throws IOException {
    ByteBuffer h = buf(6);
    h.putShort((short) extensionType).put((byte) msgType);
    h.put((byte) payload.length)
        .put((byte) (payload.length >>> 8))
        .put((byte) (payload.length >>> 16));
    out.write(h.array());
    out.write(payload);
    out.flush();
  }

  /** Writes bytes as they are (malformed input, in tests). */
  public void sendRaw(byte[] bytes) throws IOException {
    out.write(bytes);
    out.flush();
  }

  public Frame read() throws IOException {
    byte[] h = new byte[6];
    in.readFully(h);
    ByteBuffer hb = ByteBuffer.wrap(h).order(ByteOrder.LITTLE_ENDIAN);
    int ext = hb.getShort() & 0xffff;
    int type = hb.get() & 0xff;
    int len = (h[3] & 0xff) | (h[4] & 0xff) << 8 | (h[5] & 0xff) << 16;
    if (len > 1 << 16) {
      throw new IOException("frame of " + len + " bytes");
    }
    byte[] p = new byte[len];
    in.readFully(p);
    return new Frame(ext, type, ByteBuffer.wrap(p).order(ByteOrder.LITTLE_ENDIAN));
  }

  /** True when the server closed the connection (end of stream) within the socket timeout. */
  public boolean closedByServer() throws IOException {
    try {
      while (true) {
        read();
      }
    } catch (java.io.EOFException e) {
      return true;
    } catch (java.net.SocketException e) {
      return true;
    }
  }

  /** SetupConnection for the Mining Protocol, version 2, REQUIRES_STANDARD_JOBS; the answer. */
  public Frame setup(int protocol, long flags) throws IOException {
    return setup(protocol, 2, 2, flags);
  }

  /** SetupConnection with the version range {@code min}…{@code max}; the answer. */
  public Frame setup(int protocol, int min, int max, long flags) throws IOException {
    ByteBuffer b = buf(512);
    b.put((byte) protocol).putShort((short) min).putShort((short) max).putInt((int) flags);
    str(b, "127.0.0.1");
    b.putShort((short) socket.getPort());
    str(b, "blvm");
    str(b, "jdk");
    str(b, "1");
    str(b, "");
    send(0, 0x00, Arrays.copyOf(b.array(), b.position()));
    return read();
  }

  /** OpenStandardMiningChannel; returns the answer (0x11 success or 0x12 error). */
  public Frame open(long requestId, String user, BigInteger maxTarget) throws IOException {
    ByteBuffer b = buf(512);
    b.putInt((int) requestId);
    str(b, user);
    b.putFloat(1e6f).put(u256(maxTarget));
    send(0, 0x10, Arrays.copyOf(b.array(), b.position()));
    Frame f = read();
    while (onJobMessage(f)) { // jobs of a channel already open
      f = read();
    }
    if (f.msgType() == 0x11) {
      ByteBuffer p = f.payload();
      p.getInt(); // request_id
      channelId = p.getInt() & 0xffffffffL;
      byte[] t = new byte[32];
      p.get(t);
      target = number(t);
    }
    return f;
  }

  /** The error_code of a SetupConnection.Error or OpenMiningChannel.Error after its first field. */
  public static String errorCode(Frame f) {
    ByteBuffer p = f.payload().duplicate().order(ByteOrder.LITTLE_ENDIAN);
    p.getInt();
    byte[] code = new byte[p.get() & 0xff];
    p.get(code);
    return new String(code, StandardCharsets.UTF_8);
  }

  public long channelId() {
    return channelId;
  }

  public BigInteger target() {
    return target;
  }

  public Work work() {
    return work;
  }

  public int prevHashesSeen() {
    return prevHashes;
  }

  /** Applies a job message; true if it was one. */
  public boolean onJobMessage(Frame f) {
    ByteBuffer p = f.payload().duplicate().order(ByteOrder.LITTLE_ENDIAN);
    if (f.msgType() == 0x15) { // NewMiningJob
      p.getInt();
      long job = p.getInt() & 0xffffffffL;
      boolean hasTime = p.get() == 1;
      long minNtime = hasTime ? p.getInt() & 0xffffffffL : -1;
      long version = p.getInt() & 0xffffffffL;
      byte[] root = new byte[32];
      p.get(root);
      versions.put(job, new long[] {version});
      roots.put(job, root);
      if (hasTime && work != null) {
        work = new Work(job, version, root, work.prevHash(), minNtime, work.nbits());
      } else {
        futureJob = job;
        futureVersion = version;
        futureRoot = root;
      }
      return true;
    }
    if (f.msgType() == 0x20) { // SetNewPrevHash
      p.getInt();
      long job = p.getInt() & 0xffffffffL;
      byte[] prev = new byte[32];
      p.get(prev);
      long minNtime = p.getInt() & 0xffffffffL;
      long nbits = p.getInt() & 0xffffffffL;
      byte[] root = roots.get(job);
      long version = versions.containsKey(job) ? versions.get(job)[0] : futureVersion;
      work = new Work(job, version, root != null ? root : futureRoot, prev, minNtime, nbits);
      prevHashes++;
      return true;
    }
    return false;
  }

  /** Reads until the first SetNewPrevHash has activated a job. */
  public void awaitWork() throws IOException {
    while (work == null) {
      Frame f = read();
      if (!onJobMessage(f)) {
        throw new IOException("unexpected msg_type 0x" + Integer.toHexString(f.msgType()));
      }
    }
  }

  /** The first nonce from {@code from} whose header hash is above {@code limit} (or not). */
  public long findNonce(long from, boolean above, BigInteger limit) {
    for (long n = from; n < from + 1_000_000; n++) {
      boolean isAbove = number(sha256d(work.header(n))).compareTo(limit) > 0;
      if (isAbove == above) {
        return n;
      }
    }
    throw new IllegalStateException("no nonce in " + from + "…" + (from + 1_000_000));
  }

  /** SubmitSharesStandard (channel_msg bit set) for the current work. */
  public void submit(long seq, long nonce) throws IOException {
    ByteBuffer b = buf(24);
    b.putInt((int) channelId).putInt((int) seq).putInt((int) work.jobId());
    b.putInt((int) nonce).putInt((int) work.ntime()).putInt((int) work.version());
    send(0x8000, 0x1a, b.array());
  }

  /**
   * Reads until the answer to share {@code seq}, applying job messages on the way: null when it was
   * accepted (SubmitShares.Success), else its error_code (SubmitShares.Error).
   */
  public String awaitShareResult(long seq) throws IOException {
    while (true) {
      Frame f = read();
      if (onJobMessage(f)) {
        continue;
      }
      ByteBuffer p = f.payload();
      if (f.msgType() == 0x1c) {
        p.getInt();
        if ((p.getInt() & 0xffffffffL) == seq) {
          return null;
        }
      } else if (f.msgType() == 0x1d) {
        p.getInt();
        long s = p.getInt() & 0xffffffffL;
        byte[] code = new byte[p.get() & 0xff];
        p.get(code);
        if (s == seq) {
          return new String(code, StandardCharsets.UTF_8);
        }
      } else {
        throw new IOException("unexpected msg_type 0x" + Integer.toHexString(f.msgType()));
      }
    }
  }

  /** Reads job messages until a SetNewPrevHash beyond the {@code seen}-th arrives. */
  public void awaitPrevHash(int seen) throws IOException {
    while (prevHashes <= seen) {
      Frame f = read();
      if (!onJobMessage(f) && f.msgType() != 0x1c && f.msgType() != 0x1d) {
        throw new IOException("unexpected msg_type 0x" + Integer.toHexString(f.msgType()));
      }
    }
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
