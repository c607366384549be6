package org.blvm.modules.stratum;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A miner on a real socket to the pool: it sends messages or raw frames, reads the pool's answers
 * (10 s at most each, so a missing answer fails the test instead of hanging it) and mines shares on
 * the work each channel was given.
 */
final class TestMiner implements AutoCloseable {
  static final BigInteger ANY_TARGET = BigInteger.ONE.shiftLeft(256).subtract(BigInteger.ONE);

  /** The work of one channel: its target and its latest job with the prev hash it builds on. */
  record Work(
      long channelId,
      BigInteger target,
      long jobId,
      long version,
      Bytes32 merkleRoot,
      Bytes32 prevHash,
      long ntime,
      long nbits) {
    /** The 80-byte header of {@code nonce}, built from the messages alone. */
    byte[] header(long nonce) {
      return ByteBuffer.allocate(80)
          .order(ByteOrder.LITTLE_ENDIAN)
          .putInt((int) version)
          .put(prevHash.bytes())
          .put(merkleRoot.bytes())
          .putInt((int) ntime)
          .putInt((int) nbits)
          .putInt((int) nonce)
          .array();
    }

    BigInteger hash(long nonce) {
      return Job.asNumber(Job.hash(header(nonce)));
    }
  }

  private final Socket socket;
  private final Map<Long, Work> work = new ConcurrentHashMap<>();
  private final Map<Long, String> prefixes = new ConcurrentHashMap<>();
  private long nextNonce;

  /** A miner on a TCP connection to {@code pool}. */
  TestMiner(SocketAddress pool) throws IOException {
    this(new Socket());
    socket.connect(pool);
  }

  /** A miner on {@code socket}, connected or about to be. */
  TestMiner(Socket socket) throws IOException {
    this.socket = socket;
    socket.setSoTimeout(10_000);
  }

  void send(Sv2Message m) throws IOException {
    send(m.frame());
  }

  /** Bytes as they are, framed or not. */
  void sendRaw(byte[] bytes) throws IOException {
    socket.getOutputStream().write(bytes);
    socket.getOutputStream().flush();
  }

  void send(Frame f) throws IOException {
    socket.getOutputStream().write(f.encode());
    socket.getOutputStream().flush();
  }

  /** The pool's next message, decoded; the work it carries is remembered. */
  Sv2Message receive() throws Exception {
    InputStream in = socket.getInputStream();
    Frame f = Frame.read(in, Frame.MAX_PAYLOAD).orElseThrow(() -> new AssertionError("closed"));
    Sv2Message m =
        Sv2Message.decode(f).orElseThrow(() -> new AssertionError("unknown " + f.msgType()));
    if (m instanceof Sv2Message.NewMiningJob j) {
      Work w = work.get(j.channelId());
      work.put(
          j.channelId(),
          new Work(
              j.channelId(),
              w.target(),
              j.jobId(),
              j.version(),
              j.merkleRoot(),
              w.prevHash(),
              j.minNtime().orElse(w.ntime()),
              w.nbits()));
    } else if (m instanceof Sv2Message.SetNewPrevHash p) {
      Work w = work.get(p.channelId());
      assertEquals(w.jobId(), p.jobId(), "SetNewPrevHash names the future job just sent");
      work.put(
          p.channelId(),
          new Work(
              w.channelId(),
              w.target(),
              w.jobId(),
              w.version(),
              w.merkleRoot(),
              p.prevHash(),
              p.minNtime(),
              p.nbits()));
    }
    return m;
  }

  <T extends Sv2Message> T receive(Class<T> type) throws Exception {
    return assertInstanceOf(type, receive());
  }

  void setUp() throws Exception {
    send(new Sv2Message.SetupConnection(0, 2, 2, 0, "127.0.0.1", 3333, "test", "hw", "fw", "d"));
    assertEquals(new Sv2Message.SetupConnectionSuccess(2, 0), receive());
  }

  /** Opens a channel and reads its first job (future job, then {@code SetNewPrevHash}). */
  Work open(long requestId, String user, BigInteger maxTarget) throws Exception {
    send(new Sv2Message.OpenStandardMiningChannel(requestId, user, 1.0f, maxTarget));
    Sv2Message.OpenStandardMiningChannelSuccess ok =
        receive(Sv2Message.OpenStandardMiningChannelSuccess.class);
    assertEquals(requestId, ok.requestId());
    assertEquals(0, ok.groupChannelId(), "no group channels");
    prefixes.put(ok.channelId(), ok.extranoncePrefixHex());
    work.put(ok.channelId(), new Work(ok.channelId(), ok.target(), -1, 0, null, null, 0, 0));
    receive(Sv2Message.NewMiningJob.class);
    receive(Sv2Message.SetNewPrevHash.class);
    return work(ok.channelId());
  }

  /** The only channel's work. */
  Work work() {
    assertEquals(1, work.size(), "one channel");
    return work.values().iterator().next();
  }

  /** The {@code extranonce_prefix} (hex) the pool gave channel {@code channelId}. */
  String prefix(long channelId) {
    return prefixes.get(channelId);
  }

  Work work(long channelId) {
    return work.get(channelId);
  }

  /**
   * The next nonce whose hash on {@code w} is at or below {@code bound} ({@code below}) or above.
   */
  long nonce(Work w, BigInteger bound, boolean below) {
    for (int i = 0; i < 1_000_000; i++) {
      long n = nextNonce++ & 0xffffffffL;
      if ((w.hash(n).compareTo(bound) <= 0) == below) {
        return n;
      }
    }
    throw new AssertionError("no nonce found in a million");
  }

  /** A share on {@code w}'s latest job with {@code nonce}. */
  static Sv2Message.SubmitSharesStandard share(Work w, long seq, long nonce) {
    return new Sv2Message.SubmitSharesStandard(
        w.channelId(), seq, w.jobId(), nonce, w.ntime(), w.version());
  }

  /**
   * Sends a share meeting the only channel's target, checks the pool accepted it and returns its
   * hash (display order).
   */
  String shareAccepted(long seq) throws Exception {
    Work w = work();
    long n = nonce(w, w.target(), true);
    send(share(w, seq, n));
    assertEquals(seq, receive(Sv2Message.SubmitSharesSuccess.class).lastSequenceNumber());
    return Job.hash(w.header(n)).displayHex();
  }

  /**
   * Whether the pool closed this connection: the stream ends (or is reset) before any further
   * message; a message first fails the test.
   */
  void assertClosedByPool() throws Exception {
    try {
      Optional<Frame> f = Frame.read(socket.getInputStream(), Frame.MAX_PAYLOAD);
      f.ifPresent(
          x -> {
            throw new AssertionError("a message instead of the end: msg_type " + x.msgType());
          });
    } catch (EOFException | SocketException e) {
      // ended or reset: closed
    }
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
