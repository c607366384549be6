package org.blvm.sdk;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.blvm.protocol.Codec;
import org.blvm.protocol.Frames;
import org.blvm.protocol.Message;
import org.blvm.testsupport.Poll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.newsclub.net.unix.AFUNIXSocketChannel;
import org.newsclub.net.unix.AFUNIXSocketPair;

/**
 * The write path of {@link NodeChannel} on a real socket pair whose far end (the node) reads only
 * when the test says so: a frame the socket cannot take whole waits for room without spinning,
 * arrives intact once the node reads, an interrupt neither cuts it nor is lost, and a close ends
 * the wait.
 */
class NodeChannelTest {
  private final Codec codec = Codec.withDefaults();
  private final Lifecycle life = new Lifecycle();
  private AFUNIXSocketChannel module;
  private AFUNIXSocketChannel node;
  private NodeChannel channel;

  @BeforeEach
  void open() throws IOException {
    AFUNIXSocketPair<AFUNIXSocketChannel> p = AFUNIXSocketPair.open();
    module = p.getSocket1();
    node = p.getSocket2();
    channel = NodeChannel.over(module, codec, life);
  }

  @AfterEach
  void close() throws IOException {
    channel.close();
    node.close();
  }

  @Test
  void send_smallRequest_arrivesWholeAndTheInterruptStatusIsKept() throws Exception {
    Message.Request r = new Message.Request(7, "get_chain_tip", null);
    Thread.currentThread().interrupt();
    try {
      channel.send(r);
      assertTrue(Thread.currentThread().isInterrupted(), "the caller's interrupt is restored");
    } finally {
      Thread.interrupted();
    }
    assertArrayEquals(Frames.frame(codec.encode(r)), readFrom(node, Frames.frame(codec.encode(r))));
  }

  @Test
  void send_socketFull_waitsWithoutSpinningThenCompletesWhenTheNodeReads() throws Exception {
    Message.Request r = bigRequest();
    byte[] expected = Frames.frame(codec.encode(r));
    assertTrue(
        expected.length > 4 * module.getOption(StandardSocketOptions.SO_SNDBUF),
        "the frame must be larger than the socket can hold");
    CompletableFuture<Void> sent = new CompletableFuture<>();
    Thread sender = startSending(r, sent);
    assertWaitsForRoom(sender, sent);
    sender.interrupt(); // does not cut the frame short
    byte[] got = readFrom(node, expected);
    sent.get(10, TimeUnit.SECONDS);
    assertArrayEquals(expected, got);
  }

  @Test
  void send_socketFull_closeEndsTheWaitWithAnError() throws Exception {
    Message.Request r = bigRequest();
    CompletableFuture<Void> sent = new CompletableFuture<>();
    Thread sender = startSending(r, sent);
    Poll.until(
        () -> sender.getState() != Thread.State.NEW, Duration.ofSeconds(10), "sender started");
    assertNull(waitBriefly(sent), "the frame cannot have been written whole");
    life.beginClose(null);
    channel.close();
    Poll.until(sent::isDone, Duration.ofSeconds(10), "the sender gave up");
    assertInstanceOf(IOException.class, sent.handle((v, t) -> t).get());
    sender.join(TimeUnit.SECONDS.toMillis(10));
    assertFalse(sender.isAlive());
  }

  @Test
  void send_smallFramesNobodyAnswers_senderWaitsForRoomOnceTheSocketIsFull() throws Exception {
    // no answer ever confirms that the node read anything: once the charge of the unconfirmed
    // frames exceeds half the send buffer, writes ask the selector first and wait for room
    Message.Log line = new Message.Log(Message.LogLevel.INFO, "x".repeat(200));
    byte[] frame = Frames.frame(codec.encode(line));
    AtomicLong frames = new AtomicLong();
    CompletableFuture<Void> sent = new CompletableFuture<>();
    Thread sender =
        new Thread(
            () -> {
              try {
                while (true) {
                  channel.send(line);
                  frames.incrementAndGet();
                }
              } catch (Throwable t) {
                sent.completeExceptionally(t);
              }
            },
            "blvm-test-sender");
    sender.start();
    long[] last = {-1};
    Poll.until(
        () -> {
          long now = frames.get();
          boolean stuck = now > 0 && now == last[0];
          last[0] = now;
          return stuck;
        },
        Duration.ofSeconds(30),
        "the socket filled up");
    assertWaitsForRoom(sender, sent);
    // the node reads: every frame arrives whole and the sender goes on
    long before = frames.get();
    ByteBuffer one = ByteBuffer.allocate(frame.length);
    for (long i = 0; i <= before; i++) {
      one.clear();
      while (one.hasRemaining()) {
        node.read(one);
      }
      assertArrayEquals(frame, one.array(), "frame " + i);
    }
    Poll.until(() -> frames.get() > before, Duration.ofSeconds(10), "the sender went on");
    life.beginClose(null);
    channel.close();
    sender.join(TimeUnit.SECONDS.toMillis(10));
    assertFalse(sender.isAlive());
  }

  /** A thread sending {@code r}; {@code sent} completes when it was written or failed. */
  private Thread startSending(Message r, CompletableFuture<Void> sent) {
    Thread sender =
        new Thread(
            () -> {
              try {
                channel.send(r);
                sent.complete(null);
              } catch (Throwable t) {
                sent.completeExceptionally(t);
              }
            },
            "blvm-test-sender");
    sender.start();
    return sender;
  }

  /**
   * {@code sender} is blocked on a full socket: it waits for room in the write selector. A write
   * retried in a loop would be found writing in (nearly) every sample of its stack.
   */
  private static void assertWaitsForRoom(Thread sender, CompletableFuture<Void> sent) {
    int samples = 0;
    int waiting = 0;
    long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(500);
    while (System.nanoTime() < end || samples < 20) {
      samples++;
      for (StackTraceElement e : sender.getStackTrace()) {
        if (e.getMethodName().equals("awaitWritable")) {
          waiting++;
          break;
        }
      }
      Thread.onSpinWait();
    }
    assertFalse(sent.isDone(), "the sender cannot have finished");
    assertTrue(
        waiting > samples * 3 / 4,
        "the sender waited for room in " + waiting + " of " + samples + " samples");
  }

  /** A request of about 1.2 MB: several times what the socket's send buffer holds. */
  private static Message.Request bigRequest() {
    ObjectNode params = JsonNodeFactory.instance.objectNode();
    String part = "a".repeat(300_000);
    for (int i = 0; i < 4; i++) {
      params.put("part" + i, part);
    }
    return new Message.Request(1, "publish_event", params);
  }

  /** Null when {@code f} is still not done after 300 ms (polled, never slept). */
  private static Object waitBriefly(CompletableFuture<Void> f) {
    long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(300);
    while (System.nanoTime() < end) {
      if (f.isDone()) {
        return f;
      }
      Thread.onSpinWait();
    }
    return null;
  }

  /** Reads {@code expected.length} bytes from the node's end (blocking until they came). */
  private static byte[] readFrom(AFUNIXSocketChannel node, byte[] expected) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(expected.length);
    while (b.hasRemaining()) {
      if (node.read(b) < 0) {
        break;
      }
    }
    assertEquals(expected.length, b.position(), "bytes the node received");
    return b.array();
  }
}
