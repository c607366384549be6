package org.blvm.loader;

import static org.blvm.loader.LoaderFixture.H1;
import static org.blvm.loader.LoaderFixture.request;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.blvm.protocol.Api;
import org.blvm.protocol.Codec;
import org.blvm.protocol.EventPayloads;
import org.blvm.protocol.EventType;
import org.blvm.protocol.Message;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The direct response write ({@code Connection.sendResponse}): used when it cannot block, never
 * reorders a queued control frame, leaves events and their sequence numbers alone, and never lets a
 * module that stops reading stall the thread that answers its requests.
 */
class ConnectionDirectWriteTest {
  @TempDir Path tmp;
  LoaderFixture fx;

  @AfterEach
  void tearDown() {
    if (fx != null) {
      fx.close();
    }
  }

  private void start(int queueFrames) throws Exception {
    fx =
        new LoaderFixture(tmp)
            .module("alpha", "\"read_blockchain\", \"subscribe_events\"", "")
            .start(b -> b.eventQueue(queueFrames, 16L << 20));
  }

  private Connection connection() {
    return fx.manager.module("alpha").orElseThrow().connection();
  }

  @Test
  void sendResponse_idleConnection_writtenDirectly() throws Exception {
    start(8192);
    try (RawClient c = fx.handshake("alpha")) {
      for (int i = 1; i <= 50; i++) {
        c.send(request(i, "get_chain_tip", null, c));
        Message.Response r = c.expect(Message.Response.class);
        assertEquals(i, r.id());
        assertEquals(H1, r.result().get("hash").asText());
      }
      assertTrue(SocketSend.available(), "libc send(2) must link on the test host");
      // only an answer racing the writer (still flushing the welcome) may take the queue
      assertTrue(connection().directWrites() >= 45, "direct: " + connection().directWrites());
    }
  }

  @Test
  void controlFrame_queuedWhileTheWriterLingers_endsTheWait() throws Exception {
    fx =
        new LoaderFixture(tmp)
            .module("alpha", "\"read_blockchain\", \"subscribe_events\"", "")
            .start(b -> b.writerLinger(Duration.ofSeconds(60)));
    try (RawClient c = fx.handshake("alpha")) {
      c.send(request(1, "subscribe_events", new Api.SubscribeParams(List.of("NewBlock")), c));
      c.expect(Message.Response.class);
      // The writer wrote the welcome and waits out its linger (60 s here), unless the welcome's own
      // unpark ended that early; then it waits for frames, and one event makes it write and linger.
      if (!awaitLingering(Duration.ofSeconds(2))) {
        fx.manager.publish(EventType.NewBlock, new EventPayloads.NewBlock(H1, 1, H1, 1, 1));
        assertEquals(1, c.expect(Message.Event.class).seq());
        assertTrue(awaitLingering(Duration.ofSeconds(10)), "the writer never lingered");
      }
      connection().invoke("ping", null, "beta", 30_000);
      // queued (invokes never go direct), and read well within the client's 10 s timeout
      Message.Invoke i = c.expect(Message.Invoke.class);
      assertEquals("ping", i.method());
    }
  }

  private boolean awaitLingering(Duration d) throws InterruptedException {
    long deadline = System.nanoTime() + d.toNanos();
    while (!connection().writerLingering() && System.nanoTime() < deadline) {
      Thread.sleep(1);
    }
    return connection().writerLingering();
  }

  @Test
  void sendResponse_requestSentWithHello_welcomeStillFirst() throws Exception {
    start(8192);
    try (RawClient c = fx.connect("alpha")) {
      Codec codec = c.codec;
      ByteArrayOutputStream both = new ByteArrayOutputStream();
      both.write(
          codec.encodeFrame(
              new Message.Hello(List.of(Codec.PROTOCOL_VERSION), fx.launcher.token("alpha"))));
      for (int i = 1; i <= 20; i++) {
        both.write(codec.encodeFrame(request(i, "get_chain_tip", null, c)));
      }
      c.sendRaw(both.toByteArray());
      assertInstanceOf(Message.Welcome.class, c.read());
      Set<Long> ids = new HashSet<>();
      for (int i = 1; i <= 20; i++) {
        ids.add(assertInstanceOf(Message.Response.class, c.read()).id());
      }
      assertEquals(20, ids.size());
    }
  }

  @Test
  void sendResponse_interleavedWithEvents_everyEventInSeqOrderAndEveryResponseArrives()
      throws Exception {
    start(8192);
    try (RawClient c = fx.handshake("alpha")) {
      c.send(request(1, "subscribe_events", new Api.SubscribeParams(List.of("NewBlock")), c));
      c.expect(Message.Response.class);
      int events = 3000;
      int requests = 300;
      Thread publisher =
          new Thread(
              () -> {
                for (int i = 1; i <= events; i++) {
                  fx.manager.publish(
                      EventType.NewBlock, new EventPayloads.NewBlock(H1, i, H1, i, 1));
                }
              });
      publisher.start();
      for (int i = 0; i < requests; i++) {
        c.send(request(100 + i, "get_chain_tip", null, c));
      }
      publisher.join();
      long nextSeq = 1;
      Set<Long> answered = new HashSet<>();
      while (nextSeq <= events || answered.size() < requests) {
        Message m = c.read();
        if (m instanceof Message.Event e) {
          assertEquals(nextSeq, e.seq());
          assertEquals(nextSeq, e.payload().get("height").asLong());
          nextSeq++;
        } else {
          Message.Response r = assertInstanceOf(Message.Response.class, m);
          assertNull(r.error());
          assertTrue(answered.add(r.id()), "answered twice: " + r.id());
        }
      }
      assertTrue(connection().directWrites() > 0, "no response was written directly");
    }
  }

  @Test
  void sendResponse_moduleNeverReads_readerKeepsServingUntilTheQueueOverflows() throws Exception {
    start(16);
    RawClient c = fx.handshake("alpha");
    try (c) {
      // Far more answers than the socket buffer holds, and the module never reads one. If a
      // direct write could block, the loader's reader would stop reading and these writes would
      // hang; instead the answers fill the socket, then the queue, and the module is disconnected.
      Thread writer =
          new Thread(
              () -> {
                try {
                  for (int i = 1; i <= 20_000; i++) {
                    c.send(request(i, "get_chain_tip", null, c));
                  }
                } catch (IOException e) {
                  // the node closed the connection: expected
                }
              });
      writer.setDaemon(true);
      writer.start();
      writer.join(Duration.ofSeconds(30).toMillis());
      assertFalse(writer.isAlive(), "the module's writes hung: the loader stopped reading");
      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (connection().isOpen() && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      assertFalse(connection().isOpen());
      assertTrue(
          connection().closeReason().startsWith("outgoing queue full"), connection().closeReason());
      assertTrue(connection().directWrites() > 0, "no response was written directly");
    }
  }
}
