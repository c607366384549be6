package org.blvm.loader;

import java.util.concurrent.TimeUnit;
import org.blvm.policy.ModulePolicy;
import org.blvm.protocol.Codec;
import org.blvm.protocol.EventPayloads;
import org.blvm.protocol.EventType;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The node side of publishing one event, with the loader's own classes, for JMH and its GC profiler
 * (bench/run-jmh): what {@code ModuleManager.publish} hands the {@link EventRelay} (an entry of its
 * ring: the one fan-out task, the subscribers and the payload), the relay running it (the event
 * encoded once into a pooled {@code SharedEvent}, queued for every subscriber, the fan-out's count
 * released), and each subscriber's {@link OutboundQueue} queueing it with its sequence number. The
 * module registry's and the connection's checks between the relay and the queues are left out (they
 * allocate nothing); the writer threads and sockets are replaced by draining the queues on the
 * benchmark thread with {@link OutboundQueue#takeBatch}, as a writer does, into a reused batch
 * (whose {@code clear} releases the events, as after a write), every {@link #DRAIN_EVERY} events.
 * Each operation is one event delivered to one subscriber ({@code OperationsPerInvocation}), so
 * {@code gc.alloc.rate.norm} is bytes allocated per delivered event.
 *
 * <p>In package {@code org.blvm.loader} to reach the package-private classes it measures.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class PublishPathBench {
  /** Events published between two drains of the queues (a writer's batch). */
  static final int DRAIN_EVERY = OutboundQueue.MAX_BATCH;

  private final Codec codec = Codec.withDefaults();
  private final String wire = EventType.NewBlock.wireName();
  private final OutboundBatch batch = new OutboundBatch(codec.direct());
  private final EventPayloads.NewBlock payload =
      new EventPayloads.NewBlock(
          "00000000000000000002a7c4c1e48d76c5a37902165a270156b7a8d72728a054",
          870_000L,
          "0000000000000000000172ef5ab4f30e1b17b5ab3e8a8b0e12ab0c5d2e4b5c6d",
          1_732_000_000L,
          3_000);
  private final org.blvm.protocol.SharedEventPool pool = new org.blvm.protocol.SharedEventPool();
  private final EventRelay.Task fanOut = this::fanOut;
  private EventRelay relay;
  private OutboundQueue[] one;
  private OutboundQueue[] eight;
  private int published;

  @Setup(Level.Trial)
  public void setUp() {
    relay = new EventRelay("blvm-bench-relay");
    one = queues(1);
    eight = queues(8);
  }

  private OutboundQueue[] queues(int n) {
    OutboundQueue[] qs = new OutboundQueue[n];
    for (int i = 0; i < n; i++) {
      qs[i] =
          new OutboundQueue(
              "sub" + i,
              codec,
              ModulePolicy.EventOverflow.DISCONNECT,
              4 * DRAIN_EVERY,
              64L << 20,
              relay,
              dropped -> {},
              sent -> {});
    }
    return qs;
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    relay.close();
  }

  @Benchmark
  @OperationsPerInvocation(1)
  public void toOneSubscriber() throws InterruptedException {
    publish(one);
  }

  @Benchmark
  @OperationsPerInvocation(8)
  public void toEightSubscribers() throws InterruptedException {
    publish(eight);
  }

  /** As ModuleManager.publish hands an event to the relay, then the fan-out it runs. */
  private void publish(OutboundQueue[] subscribers) throws InterruptedException {
    relay.relay(fanOut, subscribers, payload);
    if (++published % DRAIN_EVERY == 0) {
      relay.flush();
      for (OutboundQueue q : subscribers) {
        while (q.depth() > 0) {
          q.takeBatch(batch);
          batch.clear();
        }
      }
    }
  }

  /** As {@code NodeEventFanOut} (the registry's checks left out). */
  private void fanOut(Object subscribers, Object payload) {
    org.blvm.protocol.SharedEvent e = codec.encodeShared(wire, null, payload, pool);
    try {
      for (OutboundQueue q : (OutboundQueue[]) subscribers) {
        if (q.offerEvent(e) != OutboundQueue.Offer.QUEUED) {
          throw new IllegalStateException("queue " + q + " did not take the event");
        }
      }
    } finally {
      e.release();
    }
  }
}
