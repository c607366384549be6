package org.blvm.bench;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * The event-throughput baseline: {@code pairs} Unix-socket connections in parallel, each with a
 * writer thread that sends {@code n} frames of {@code frameBytes} with one {@code write()} per
 * frame (no batching) and a reader thread that reads with a 64 KiB buffer and counts whole frames.
 * No encoding, decoding or queueing.
 */
final class RawThroughput {
  private RawThroughput() {}

  /**
   * One run: frames per second per connection, n / (time until every reader has counted all n); and
   * the sending side's CPU time, the process's CPU time over the run minus the reader threads'.
   */
  record Run(double perConnectionRate, long senderCpuNanos) {}

  static Run run(Path dir, int pairs, int n, int frameBytes) throws Exception {
    Files.createDirectories(dir);
    List<Thread> threads = new ArrayList<>();
    List<SocketChannel> channels = new ArrayList<>();
    CountDownLatch go = new CountDownLatch(1);
    long[] counted = new long[pairs];
    long[] readerCpu = new long[pairs];
    for (int i = 0; i < pairs; i++) {
      Path sock = dir.resolve("t" + i + ".sock");
      Files.deleteIfExists(sock);
      try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
        server.bind(UnixDomainSocketAddress.of(sock));
        SocketChannel w = SocketChannel.open(UnixDomainSocketAddress.of(sock));
        SocketChannel r = server.accept();
        channels.add(w);
        channels.add(r);
        int idx = i;
        threads.add(new Thread(() -> write(w, n, frameBytes, go), "bench-raw-writer-" + i));
        threads.add(
            new Thread(
                () -> {
                  long cpu0 = CpuTime.currentThread();
                  counted[idx] = read(r, n);
                  readerCpu[idx] = CpuTime.currentThread() - cpu0;
                },
                "bench-raw-reader-" + i));
      }
    }
    threads.forEach(Thread::start);
    long cpu0 = CpuTime.process();
    long t0 = System.nanoTime();
    go.countDown();
    for (Thread t : threads) {
      t.join();
    }
    long elapsed = System.nanoTime() - t0;
    long cpu = CpuTime.process() - cpu0;
    for (SocketChannel c : channels) {
      c.close();
    }
    for (long c : counted) {
      if (c != n) {
        throw new IllegalStateException("raw reader counted " + c + " frames of " + n);
      }
    }
    long readers = 0;
    for (long c : readerCpu) {
      readers += c;
    }
    return new Run(n / (elapsed / 1e9), Math.max(0, cpu - readers));
  }

  private static void write(SocketChannel c, int n, int frameBytes, CountDownLatch go) {
    ByteBuffer frame = ByteBuffer.allocateDirect(frameBytes);
    frame.putInt(0, frameBytes - 4);
    try {
      go.await();
      for (int i = 0; i < n; i++) {
        frame.clear();
        while (frame.hasRemaining()) {
          c.write(frame);
        }
      }
    } catch (IOException | InterruptedException e) {
      throw new IllegalStateException(e);
    }
  }

  private static long read(SocketChannel c, int n) {
    ByteBuffer buf = ByteBuffer.allocateDirect(64 * 1024);
    long frames = 0;
    long need = 4; // bytes until the current header or body ends
    boolean inHeader = true;
    int header = 0;
    int headerBytes = 0;
    try {
      while (frames < n) {
        buf.clear();
        if (c.read(buf) < 0) {
          break;
        }
        buf.flip();
        while (buf.hasRemaining()) {
          if (inHeader) {
            header = (header << 8) | (buf.get() & 0xFF);
            if (++headerBytes == 4) {
              inHeader = false;
              need = header;
              header = 0;
              headerBytes = 0;
            }
          } else {
            int skip = (int) Math.min(need, buf.remaining());
            buf.position(buf.position() + skip);
            need -= skip;
          }
          if (!inHeader && need == 0) {
            frames++;
            inHeader = true;
          }
        }
      }
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return frames;
  }
}
