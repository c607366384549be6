package org.blvm.sdk;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.NullNode;
import java.util.ArrayList;
import java.util.List;
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
 * holds), and when it leaves the lock. The queue ({@link EventQueue}) is bounded by the configured
 * capacity; a hand-over queues as many of its events as fit, in order, under one acquisition of the
 * queue's lock and with at most one wake-up of the event thread; events that do not fit are
 * dropped, counted, and the next queued event carries the count for a warning to the node. The
 * event thread takes everything queued at once and runs it in order.
 *
 * <p>An event whose subscription has a typed handler is read straight into its record when the
 * payload allows ({@link #payloadType}, {@code EventDecoder}); the handler gets that record.
 *
 * <p>A {@code ConfigLoaded} from the node is parsed once, when it is read ({@link ConfigUpdate}):
 * the module's own section replaces {@link #config()} at once, before any handler runs, and the
 * handler gets the same parse, with the module's config as of that event.
 */
final class EventDispatcher {
  /** Most events read and not yet handed over; more are handed over at once. */
  private static final int ARRIVED_MAX = 256;

  /**
   * One event for the handler thread: its payload already decoded for its handler (else null), for
   * a node's {@code ConfigLoaded} its parse and the module's own config as of it (else null), and
   * how many events were dropped just before it.
   */
  private record Queued(
      Message.Event event,
      Object decoded,
      ConfigUpdate config,
      JsonNode configAsOf,
      long droppedBefore) {}

  private final ClientConfig config;
  private final Codec codec;
  private final Lifecycle life;
  private final ModuleLog log;

  /** The client's read lock: it guards {@link #arrived} and {@link #droppedSinceQueued}. */
  private final ReentrantLock readLock;

  private final EventQueue<Queued> events;

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
    this.events = new EventQueue<>(config.eventQueueCapacity());
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

  /**
   * The record class the handler of events of this type takes (the fast path reads the payload
   * straight into it), or null when no typed handler wants one.
   */
  Class<?> payloadType(String type) {
    Subscription s = config.subscriptions().get(type);
    return s == null ? null : s.payloadType();
  }

  /**
   * Caller holds the read lock. One event was read, its payload already decoded for its handler
   * ({@code decoded}, else null); it is handed over later, in order.
   */
  void arrived(Message.Event e, Object decoded) {
    assert readLock.isHeldByCurrentThread();
    ConfigUpdate update = null;
    JsonNode asOf = null;
    if (e.source() == null && EventType.ConfigLoaded.wireName().equals(e.type())) {
      update = ConfigUpdate.parse(codec, e.payload(), moduleId);
      if (update.own() != null) {
        ownConfig = update.own().deepCopy(); // before any handler runs, even if the queue is full
      }
      asOf = ownConfig; // never changed in place: each update replaces it
    }
    arrived.add(new Queued(e, decoded, update, asOf, 0));
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
    int n = arrived.size();
    if (n == 0) {
      return;
    }
    if (droppedSinceQueued > 0) {
      Queued q = arrived.get(0);
      arrived.set(
          0, new Queued(q.event(), q.decoded(), q.config(), q.configAsOf(), droppedSinceQueued));
    }
    int queued = events.offerAll(arrived);
    if (queued > 0) {
      droppedSinceQueued = 0;
    }
    droppedSinceQueued += n - queued;
    arrived.clear();
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
      List<Queued> batch = new ArrayList<>();
      while (!life.isClosed()) {
        events.takeAll(batch); // whatever is queued, in order, under one acquisition of its lock
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
        if (batch.size() > ARRIVED_MAX * 16) {
          batch = new ArrayList<>(); // a backlog's array is not kept once it has been run
        } else {
          batch.clear();
        }
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
        JsonNode asOf = q.configAsOf();
        JsonNode visible = update.visible();
        s.configHandler()
            .onConfig(
                own != null ? own : asOf != null ? asOf.deepCopy() : config(),
                visible != null ? visible : JsonNodeFactory.instance.objectNode(),
                update.payload().changedSections());
        return;
      }
      s.deliver(codec, e, update == null ? q.decoded() : update.payload());
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
