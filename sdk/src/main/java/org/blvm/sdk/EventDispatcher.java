package org.blvm.sdk;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.NullNode;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.locks.ReentrantLock;
import org.blvm.protocol.Codec;
import org.blvm.protocol.EventType;
import org.blvm.protocol.Message;
import org.blvm.protocol.ModuleContext;
import org.blvm.protocol.ProtocolException;

/**
 * Runs event handlers on the thread {@code blvm-sdk-events}, one at a time, in arrival order.
 *
 * <p>The holder of the client's read lock reports each event as it is read ({@link #arrived}) and
 * hands the events read so far over together ({@link #handOver}): when no complete frame is left in
 * its buffer, before an answer is completed or an invoke started (so order with respect to those
 * holds), and when it leaves the lock. The queue is bounded by the configured capacity; events that
 * do not fit are dropped, counted, and the next queued event carries the count for a warning to the
 * node. It is a {@link LinkedBlockingQueue}: reader and event thread take separate locks, and the
 * event thread is woken only when it was empty. The event thread takes up to {@link #EVENT_BATCH}
 * events at a time.
 *
 * <p>A {@code ConfigLoaded} from the node is parsed once, when it is read ({@link ConfigUpdate}):
 * the module's own section replaces {@link #config()} at once, before any handler runs, and the
 * handler gets the same parse.
 */
final class EventDispatcher {
  /** Most events the event thread takes from its queue at once. */
  static final int EVENT_BATCH = 64;

  /** Most events read and not yet handed over; more are handed over at once. */
  private static final int ARRIVED_MAX = 256;

  /**
   * One event for the handler thread, with how many were dropped just before it, and for a node's
   * {@code ConfigLoaded} its parse (else null).
   */
  private record Queued(Message.Event event, long droppedBefore, ConfigUpdate config) {}

  private final ClientConfig config;
  private final Codec codec;
  private final Lifecycle life;
  private final ModuleLog log;

  /** The client's read lock: it guards {@link #arrived} and {@link #droppedSinceQueued}. */
  private final ReentrantLock readLock;

  private final BlockingQueue<Queued> events;

  /** Guarded by readLock: events read but not yet handed over, in order. */
  private final List<Queued> arrived = new ArrayList<>();

  /** Guarded by readLock: dropped since the last queued event. */
  private long droppedSinceQueued;

  /** The module's id, from the welcome. */
  private volatile String moduleId;

  /** The module's own config: the welcome's, then each ConfigLoaded's {@code modules.<id>}. */
  private volatile JsonNode ownConfig;

  private final Thread thread;

  EventDispatcher(
      ClientConfig config, Codec codec, Lifecycle life, ModuleLog log, ReentrantLock readLock) {
    this.config = config;
    this.codec = codec;
    this.life = life;
    this.log = log;
    this.readLock = readLock;
    this.events = new LinkedBlockingQueue<>(config.eventQueueCapacity());
    this.thread = new Thread(this::loop, "blvm-sdk-events");
    this.thread.setDaemon(true);
  }

  void start() {
    thread.start();
  }

  /** The welcome was read: the module's id and first config. Before any event is read. */
  void welcomed(ModuleContext context) {
    moduleId = context.moduleId();
    if (ownConfig == null) {
      ownConfig = context.config();
    }
  }

  /** A copy of the module's current own config (null before the welcome as a null node). */
  JsonNode config() {
    JsonNode c = ownConfig;
    return c == null ? NullNode.getInstance() : c.deepCopy();
  }

  /** Caller holds the read lock. One event was read; it is handed over later, in order. */
  void arrived(Message.Event e) {
    assert readLock.isHeldByCurrentThread();
    ConfigUpdate update = null;
    if (e.source() == null && EventType.ConfigLoaded.wireName().equals(e.type())) {
      update = ConfigUpdate.parse(codec, e.payload(), moduleId);
      if (update.own() != null) {
        ownConfig = update.own().deepCopy(); // before any handler runs, even if the queue is full
      }
    }
    arrived.add(new Queued(e, 0, update));
    if (arrived.size() >= ARRIVED_MAX) {
      handOver();
    }
  }

  /**
   * Caller holds the read lock. Queues the events read so far for the event thread, in order; those
   * that do not fit are dropped and counted for the next queued event's warning.
   */
  void handOver() {
    assert readLock.isHeldByCurrentThread();
    for (int i = 0; i < arrived.size(); i++) {
      Queued q = arrived.get(i);
      if (events.offer(droppedSinceQueued == 0 ? q : withDropped(q, droppedSinceQueued))) {
        droppedSinceQueued = 0;
      } else {
        droppedSinceQueued++;
      }
    }
    arrived.clear();
  }

  private static Queued withDropped(Queued q, long dropped) {
    return new Queued(q.event(), dropped, q.config());
  }

  /** The client is closing: forgets queued events and stops the event thread. */
  void stop() {
    events.clear();
    if (Thread.currentThread() != thread) {
      thread.interrupt();
    }
  }

  private void loop() {
    try {
      life.awaitStarted();
      List<Queued> batch = new ArrayList<>(EVENT_BATCH);
      while (!life.isClosed()) {
        // whatever is queued, in order, under one acquisition of the queue's lock
        batch.add(events.take());
        events.drainTo(batch, EVENT_BATCH - 1);
        for (int i = 0; i < batch.size() && !life.isClosed(); i++) {
          Queued q = batch.get(i);
          if (q.droppedBefore() > 0) {
            log.send(
                Message.LogLevel.WARN,
                q.droppedBefore()
                    + " events dropped before seq "
                    + q.event().seq()
                    + ": the event queue (capacity "
                    + config.eventQueueCapacity()
                    + ") was full");
          }
          deliver(q);
        }
        batch.clear();
      }
    } catch (InterruptedException e) {
      // shutdown
    }
  }

  private void deliver(Queued q) {
    Message.Event e = q.event();
    if (e.source() == null && EventType.EventsDropped.wireName().equals(e.type())) {
      log.send(
          Message.LogLevel.WARN,
          "the node dropped "
              + e.payload().path("count").asLong()
              + " events (seq "
              + e.payload().path("first_seq").asLong()
              + ".."
              + e.payload().path("last_seq").asLong()
              + "): this module did not keep up");
    }
    Subscription s = config.subscriptions().get(e.type());
    if (s == null) {
      return; // not subscribed (or a marker this SDK does not know): nothing to run
    }
    try {
      ConfigUpdate update = q.config();
      if (s.configHandler() != null) {
        if (update == null) {
          update = ConfigUpdate.parse(codec, e.payload(), moduleId);
        }
        if (update.malformed() != null) {
          throw update.malformed();
        }
        JsonNode own = update.own();
        JsonNode visible = update.visible();
        s.configHandler()
            .onConfig(
                own != null ? own : config(),
                visible != null ? visible : JsonNodeFactory.instance.objectNode(),
                update.payload().changedSections());
        return;
      }
      s.deliver(codec, e, update == null ? null : update.payload());
    } catch (ProtocolException x) {
      log.send(
          Message.LogLevel.WARN,
          "event " + e.type() + " seq " + e.seq() + " has a malformed payload: " + x.getMessage());
    } catch (InterruptedException x) {
      Thread.currentThread().interrupt();
    } catch (Exception | StackOverflowError x) {
      log.report("handler for event " + e.type() + " seq " + e.seq() + " failed", x);
    }
  }
}
