package org.blvm.modules.stratum;

import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One miner's connection: the thread {@code blvm-stratum-v2-miner-N} reads its frames and answers
 * them, {@code blvm-stratum-v2-miner-N-writer} writes what is queued for it (answers and the jobs
 * the event thread hands out). The queue is bounded; a miner that does not read is disconnected. A
 * malformed frame, a message out of order or a frame over {@link Frame#MAX_PAYLOAD} closes this
 * connection with a log line and nothing else.
 */
final class MinerSession {
  /** Frames queued for the miner; beyond it the miner is too slow and disconnected. */
  static final int OUT_QUEUE = 256;

  /**
   * Flags of {@code SetupConnection} this server supports: REQUIRES_STANDARD_JOBS, VERSION_ROLLING.
   */
  static final long SUPPORTED_FLAGS = 0b101;

  static final int PROTOCOL_VERSION = 2;

  private static final Frame CLOSE = new Frame(0, 0, new byte[0]);

  private final long id;
  private final SocketChannel socket;
  private final Pool pool;
  private final BlockingQueue<Frame> out = new ArrayBlockingQueue<>(OUT_QUEUE + 1);
  private final Map<Long, Channel> channels = new ConcurrentHashMap<>();
  private final AtomicBoolean closed = new AtomicBoolean();
  private boolean setUp;

  MinerSession(long id, SocketChannel socket, Pool pool) {
    this.id = id;
    this.socket = socket;
    this.pool = pool;
  }

  long id() {
    return id;
  }

  void start() {
    Thread r = new Thread(this::readLoop, "blvm-stratum-v2-miner-" + id);
    Thread w = new Thread(this::writeLoop, "blvm-stratum-v2-miner-" + id + "-writer");
    r.setDaemon(true);
    w.setDaemon(true);
    w.start();
    r.start();
  }

  /** Moves every open channel onto {@code job} (from the event thread). */
  void deliver(Job job) {
    for (Channel c : channels.values()) {
      deliver(c, job);
    }
  }

  private void deliver(Channel c, Job job) {
    // the channel's monitor keeps its messages in job order whichever thread delivers
    synchronized (c) {
      for (Sv2Message m : c.offer(job)) {
        send(m);
      }
    }
  }

  private void send(Sv2Message m) {
    if (!closed.get() && !out.offer(m.frame())) {
      pool.log(false, "miner " + id + " does not read its messages: connection closed");
      close();
    }
  }

  void close() {
    if (closed.compareAndSet(false, true)) {
      // out of the pool first: once the miner sees the connection closed, its slot is free
      pool.closed(this);
      try {
        socket.close();
      } catch (IOException e) {
        // closing: nothing left to do with it
      }
      out.clear();
      out.offer(CLOSE);
    }
  }

  private void readLoop() {
    String ending = null; // logged once the connection is closed and its slot free
    boolean warn = false;
    try (InputStream in = new SocketInput(socket)) {
      while (!closed.get()) {
        Optional<Frame> f = Frame.read(in, Frame.MAX_PAYLOAD);
        if (f.isEmpty()) {
          ending = "miner " + id + " disconnected";
          break;
        }
        handle(f.get());
      }
    } catch (MalformedFrameException e) {
      warn = true;
      ending = "miner " + id + " sent a malformed frame, connection closed: " + e.getMessage();
    } catch (IOException e) {
      if (!closed.get()) {
        ending = "miner " + id + " disconnected: " + e;
      }
    } finally {
      close();
    }
    if (ending != null) {
      pool.log(!warn, ending);
    }
  }

  private void writeLoop() {
    try {
      while (true) {
        Frame f = out.take();
        if (f == CLOSE) {
          break;
        }
        ByteBuffer b = ByteBuffer.wrap(f.encode());
        while (b.hasRemaining()) {
          socket.write(b);
        }
      }
    } catch (IOException e) {
      // the reader sees the same connection fail and reports it
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      close();
    }
  }

  private void handle(Frame f) throws MalformedFrameException {
    Optional<Sv2Message> decoded = Sv2Message.decode(f);
    if (!setUp && !(decoded.orElse(null) instanceof Sv2Message.SetupConnection)) {
      throw new MalformedFrameException(
          "the first message must be SetupConnection, found msg_type 0x"
              + Integer.toHexString(f.msgType()));
    }
    if (decoded.isEmpty()) {
      if (f.extension() == 0 && f.msgType() == Sv2Message.OPEN_EXTENDED_MINING_CHANNEL) {
        long requestId = new WireReader(f.payload(), "OpenExtendedMiningChannel").u32("request_id");
        send(new Sv2Message.OpenMiningChannelError(requestId, "unsupported-extended-channel"));
      }
      // other messages of the Mining Protocol and unknown extensions: ignored, as the
      // specification's "Protocol Extensions" section asks for messages processed locally
      return;
    }
    Sv2Message m = decoded.get();
    if (m instanceof Sv2Message.SetupConnection s) {
      setup(s);
    } else if (m instanceof Sv2Message.OpenStandardMiningChannel o) {
      open(o);
    } else if (m instanceof Sv2Message.SubmitSharesStandard s) {
      submit(s);
    } else if (m instanceof Sv2Message.CloseChannel c) {
      channels.remove(c.channelId());
    } else {
      throw new MalformedFrameException(
          "a miner may not send "
              + m.getClass().getSimpleName()
              + " (msg_type 0x"
              + Integer.toHexString(f.msgType())
              + ")");
    }
  }

  private void setup(Sv2Message.SetupConnection s) throws MalformedFrameException {
    if (setUp) {
      throw new MalformedFrameException("SetupConnection sent twice");
    }
    String error = null;
    long badFlags = 0;
    if (s.protocol() != 0) {
      error = "unsupported-protocol";
    } else if (s.minVersion() > PROTOCOL_VERSION || s.maxVersion() < PROTOCOL_VERSION) {
      error = "protocol-version-mismatch";
    } else if ((s.flags() & ~SUPPORTED_FLAGS) != 0) {
      error = "unsupported-feature-flags";
      badFlags = s.flags() & ~SUPPORTED_FLAGS;
    }
    if (error != null) {
      pool.log(true, "miner " + id + " refused at SetupConnection: " + error);
      send(new Sv2Message.SetupConnectionError(badFlags, error));
      out.offer(CLOSE);
      return;
    }
    setUp = true;
    send(new Sv2Message.SetupConnectionSuccess(PROTOCOL_VERSION, 0));
    pool.log(
        true,
        "miner " + id + " set up: vendor \"" + s.vendor() + "\" device \"" + s.deviceId() + "\"");
  }

  private void open(Sv2Message.OpenStandardMiningChannel o) {
    if (channels.size() >= pool.config().maxChannels()) {
      send(new Sv2Message.OpenMiningChannelError(o.requestId(), "max-channels-reached"));
      return;
    }
    if (o.maxTarget().signum() == 0) {
      send(new Sv2Message.OpenMiningChannelError(o.requestId(), "max-target-out-of-range"));
      return;
    }
    Job job = pool.currentJob();
    if (job == null) {
      send(new Sv2Message.OpenMiningChannelError(o.requestId(), "no-template-yet"));
      return;
    }
    Channel c = pool.newChannel(job, o.maxTarget());
    // the answer first, then the channel is open for the jobs the event thread hands out
    send(
        new Sv2Message.OpenStandardMiningChannelSuccess(
            o.requestId(), c.id(), c.target(), c.extranoncePrefixHex(), 0));
    channels.put(c.id(), c);
    pool.log(
        true,
        "miner "
            + id
            + " opened channel "
            + c.id()
            + " for \""
            + o.userIdentity()
            + "\" target "
            + c.target().toString(16));
    // the latest job: delivered here or by the event thread, whichever comes first, once
    deliver(c, pool.currentJob());
  }

  private void submit(Sv2Message.SubmitSharesStandard s) {
    Channel c = channels.get(s.channelId());
    if (c == null) {
      send(
          new Sv2Message.SubmitSharesError(
              s.channelId(), s.sequenceNumber(), "invalid-channel-id"));
      return;
    }
    Channel.Outcome r = c.check(s);
    pool.share(this, c, s, r);
    if (r.errorCode() != null) {
      send(new Sv2Message.SubmitSharesError(c.id(), s.sequenceNumber(), r.errorCode()));
    } else {
      BigInteger max = BigInteger.ONE.shiftLeft(256).subtract(BigInteger.ONE);
      BigInteger diff = max.divide(c.target());
      long sum = diff.bitLength() > 63 ? Long.MAX_VALUE : diff.longValue();
      send(new Sv2Message.SubmitSharesSuccess(c.id(), s.sequenceNumber(), 1, sum));
    }
  }

  /**
   * The socket's reads as a stream. Not {@code Channels.newInputStream}: its reads hold the
   * channel's blocking lock, which its writes need too, so a reader waiting for the miner would
   * hold up every message to it.
   */
  private static final class SocketInput extends InputStream {
    private final SocketChannel ch;

    SocketInput(SocketChannel ch) {
      this.ch = ch;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (len == 0) {
        return 0;
      }
      return ch.read(ByteBuffer.wrap(b, off, len));
    }
  }
}
