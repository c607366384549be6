package org.blvm.node.host;

import java.io.IOException;
import java.math.BigInteger;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.blvm.node.sv2.Sv2Client;

/**
 * The demo's mining device: connects to blvm-stratum-v2 on the loopback port its policy lets the
 * node bind, sets up a Stratum V2 connection, opens a standard channel and, until stopped, submits
 * a share meeting the channel's target every {@link #PACE_MS} ms (a block when its hash also meets
 * the network's), reading the jobs and the answers. Shows each answer on the board. On the thread
 * {@code blvm-demo-miner}; a lost connection is opened again after a second.
 */
final class DemoMiner implements AutoCloseable {
  /** Between shares: a few per second, so the board stays readable. */
  static final long PACE_MS = 400;

  private static final BigInteger ANY = BigInteger.ONE.shiftLeft(256).subtract(BigInteger.ONE);

  private final int port;
  private final DemoBoard board;
  private final CountDownLatch stop = new CountDownLatch(1);
  private final Thread thread;

  DemoMiner(int port, DemoBoard board) {
    this.port = port;
    this.board = board;
    this.thread = new Thread(this::run, "blvm-demo-miner");
    thread.setDaemon(true);
  }

  void start() {
    thread.start();
  }

  private void run() {
    String lastFailure = null;
    while (stop.getCount() > 0) {
      try (Sv2Client c = new Sv2Client("127.0.0.1", port, 10_000)) {
        lastFailure = null;
        mine(c);
      } catch (IOException | RuntimeException e) {
        String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        if (!why.equals(lastFailure)) {
          board.note("miner", null, "connection to 127.0.0.1:" + port + ": " + why);
          lastFailure = why;
        }
      }
      if (pause(1000)) {
        return;
      }
    }
  }

  private void mine(Sv2Client c) throws IOException {
    Sv2Client.Frame setup = c.setup(0, 1);
    if (setup.msgType() != 0x01) {
      throw new IOException("SetupConnection refused: " + Sv2Client.errorCode(setup));
    }
    Sv2Client.Frame open = c.open(1, "blvm-demo.miner", ANY);
    if (open.msgType() != 0x11) {
      throw new IOException("OpenStandardMiningChannel refused: " + Sv2Client.errorCode(open));
    }
    board.note("miner", null, "channel " + c.channelId() + " open on 127.0.0.1:" + port);
    c.awaitWork();
    long seq = 0;
    long nonce = 0;
    while (stop.getCount() > 0) {
      nonce = c.findNonce(nonce, false, c.target());
      BigInteger hash = Sv2Client.number(Sv2Client.sha256d(c.work().header(nonce)));
      boolean block = hash.compareTo(Sv2Client.compactTarget(c.work().nbits())) <= 0;
      long job = c.work().jobId();
      c.submit(++seq, nonce);
      String error = c.awaitShareResult(seq);
      nonce++;
      board.note(
          DemoLayout.STRATUM,
          error == null ? DemoBoard.Count.SHARES_ACCEPTED : DemoBoard.Count.SHARES_REJECTED,
          "share "
              + seq
              + " of job "
              + job
              + (error == null ? " accepted" : " rejected: " + error)
              + (block && error == null ? " (a block)" : ""));
      if (pause(PACE_MS)) {
        return;
      }
    }
  }

  /** Waits {@code ms}; true when stopped meanwhile. */
  private boolean pause(long ms) {
    try {
      return stop.await(ms, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return true;
    }
  }

  @Override
  public void close() {
    stop.countDown();
  }
}
