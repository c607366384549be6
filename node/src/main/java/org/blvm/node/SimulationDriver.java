package org.blvm.node;

import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

/**
 * Runs the simulation: each step advances the simulated clock by {@code step_millis} and draws,
 * from the seed, which events happen in it at the configured rates; every event goes to the {@link
 * EventSink} in the order the chain's state changed.
 *
 * <p>Two ways to run it. {@link #start()} publishes the startup events and then steps on the thread
 * {@value #THREAD_NAME}, one step every {@code step_millis} of real time; {@link #close()} stops it
 * and publishes NodeShutdown. Or, without a thread, {@link #startup()}, then {@link #step()} as
 * often as wanted, then {@link #close()}: with the same settings and the same calls the events are
 * the same, which is how the tests check determinism.
 *
 * <p>Events are published by one thread at a time (a step's thread, or the thread of a NodeAPI call
 * that changed the chain), never while the chain's lock is held.
 */
public final class SimulationDriver implements AutoCloseable {
  /** The name of the stepping thread. */
  public static final String THREAD_NAME = "blvm-node-simulation";

  /** Most events of one kind in one step, however high the rate. */
  static final int MAX_PER_STEP = 1000;

  private static final System.Logger LOG = System.getLogger("blvm.node.simulation");
  private static final long JOIN_MILLIS = 5_000;

  private final SimulatedChain chain;
  private final EventSink sink;
  private final SimulationSettings settings;
  private final SplitMix64 random;
  private final AtomicBoolean draining = new AtomicBoolean();
  private final Object lifecycle = new Object();

  private volatile boolean running;
  private Thread thread;
  private boolean startedUp;
  private boolean closed;
  private long steps;

  public SimulationDriver(SimulatedChain chain, EventSink sink) {
    this.chain = Objects.requireNonNull(chain, "chain");
    this.sink = Objects.requireNonNull(sink, "sink");
    this.settings = chain.settings();
    this.random = new SplitMix64(settings.seed() ^ 0x5851f42d4c957f2dL);
    chain.setEventListener(this::flush);
  }

  /** Publishes NodeStartupCompleted, the initial peers and the first template (once). */
  public void startup() {
    synchronized (lifecycle) {
      if (closed) {
        throw new IllegalStateException("the simulation was closed");
      }
      if (startedUp) {
        return;
      }
      startedUp = true;
    }
    chain.startup();
    flush();
  }

  /** {@link #startup()}, then steps on the thread {@value #THREAD_NAME} until {@link #close()}. */
  public void start() {
    startup();
    synchronized (lifecycle) {
      if (thread != null || closed) {
        throw new IllegalStateException("the simulation thread was already started");
      }
      running = true;
      thread = new Thread(this::run, THREAD_NAME);
      thread.setDaemon(true);
      thread.start();
    }
  }

  /** One step, on the calling thread; not while the simulation thread runs. */
  public void step() {
    synchronized (lifecycle) {
      if (thread != null) {
        throw new IllegalStateException("the simulation runs on its own thread");
      }
      if (closed) {
        throw new IllegalStateException("the simulation was closed");
      }
    }
    startup();
    doStep();
  }

  /** Steps done so far. */
  public long steps() {
    synchronized (lifecycle) {
      return steps;
    }
  }

  /**
   * Stops the thread (waits at most 5 s for the step in progress), then publishes NodeShutdown
   * once. Idempotent.
   */
  @Override
  public void close() {
    Thread t;
    synchronized (lifecycle) {
      if (closed) {
        return;
      }
      closed = true;
      running = false;
      t = thread;
    }
    if (t != null) {
      LockSupport.unpark(t);
      try {
        t.join(JOIN_MILLIS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    boolean announce;
    synchronized (lifecycle) {
      announce = startedUp;
    }
    if (announce) {
      chain.shutdown("node stopping");
      flush();
    }
  }

  private void run() {
    long stepNanos = TimeUnit.MILLISECONDS.toNanos(settings.stepMillis());
    long next = System.nanoTime();
    while (running) {
      next += stepNanos;
      long wait;
      while (running && (wait = next - System.nanoTime()) > 0) {
        LockSupport.parkNanos(this, wait);
      }
      if (!running) {
        break;
      }
      if (System.nanoTime() - next > 10 * stepNanos) {
        next = System.nanoTime(); // far behind: do not run a burst of steps to catch up
      }
      try {
        doStep();
      } catch (RuntimeException e) {
        LOG.log(System.Logger.Level.ERROR, "simulation step failed", e);
      }
    }
  }

  private void doStep() {
    synchronized (lifecycle) {
      steps++;
    }
    chain.advanceBy(settings.stepMillis());
    for (int i = count(settings.transactionsPerMinute()); i > 0; i--) {
      if (random.chance(settings.replacementProbability())) {
        chain.replacement();
      } else {
        chain.transaction();
      }
    }
    for (int i = count(settings.feeChangesPerMinute()); i > 0; i--) {
      chain.feeChange();
    }
    for (int i = count(settings.peerChangesPerMinute()); i > 0; i--) {
      chain.peerChange();
    }
    for (int i = count(settings.messagesPerMinute()); i > 0; i--) {
      chain.message();
    }
    chain.meshAnnouncements();
    for (int i = count(settings.paymentRequestsPerMinute()); i > 0; i--) {
      chain.paymentRequest();
    }
    for (int i = count(settings.governanceEventsPerMinute()); i > 0; i--) {
      chain.governanceEvent();
    }
    if (settings.blockIntervalSeconds() > 0) {
      for (int i = count(60.0 / settings.blockIntervalSeconds()); i > 0; i--) {
        if (random.chance(settings.reorgProbability())) {
          chain.reorg(1 + random.nextInt(settings.maxReorgDepth()));
        } else {
          chain.mineBlock();
        }
      }
    }
    for (int i = count(settings.sharesPerMinute()); i > 0; i--) {
      chain.share();
    }
    chain.endOfStep();
    flush();
  }

  /** How many events of a kind with {@code perMinute} happen in one step. */
  private int count(double perMinute) {
    double expected = perMinute * settings.stepMillis() / 60_000.0;
    long n = (long) Math.floor(expected);
    if (random.chance(expected - n)) {
      n++;
    }
    return (int) Math.min(n, MAX_PER_STEP);
  }

  /**
   * Publishes every recorded event, in order. Only one thread drains at a time; a thread that finds
   * another draining leaves it to that one, which looks again before it lets go.
   */
  void flush() {
    while (true) {
      if (!draining.compareAndSet(false, true)) {
        return;
      }
      try {
        List<EventOutbox.Event> batch;
        while (!(batch = chain.takeEvents()).isEmpty()) {
          for (EventOutbox.Event e : batch) {
            try {
              sink.publish(e.type(), e.payload());
            } catch (RuntimeException ex) {
              LOG.log(System.Logger.Level.ERROR, "publishing " + e.type() + " failed", ex);
            }
          }
        }
      } finally {
        draining.set(false);
      }
      if (!chain.hasEvents()) {
        return;
      }
    }
  }
}
