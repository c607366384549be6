package org.blvm.loader;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.errorprone.annotations.concurrent.GuardedBy;
import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.time.Clock;
import java.time.Duration;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.blvm.protocol.Capability;
import org.blvm.protocol.Codec;
import org.blvm.protocol.EventPayloads;
import org.blvm.protocol.EventType;

/**
 * Owns the node config: the load at start, reloads (admin call, file change, SIGHUP) and the
 * per-module {@code ConfigLoaded} events (docs/config.md).
 *
 * <p>Threads: every reload runs on the one thread {@code blvm-config-reload}, so there is one at a
 * time; the watcher {@code blvm-config-watch} and the SIGHUP handler only ask for a reload
 * (requests made while one is already queued coalesce). Lock: {@link #state} guards {@link
 * #current}, {@link #generation} and {@link #primed}; it is held while a new config is swapped in
 * and its events are enqueued (enqueueing never blocks) and while a new subscriber gets its first
 * event — never across file I/O, which happens before it is taken.
 *
 * <p>Over 400 lines: load, reload, file watching and per-module events share one lock and state.
 */
final class ConfigReloader implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger("blvm.loader.config");
  private static final ObjectMapper JSON = new ObjectMapper();

  /** How long the admin call waits for its reload to run. */
  private static final long ADMIN_WAIT_MS = 10_000;

  /** Longest a burst of directory events can postpone a file-change reload. */
  private static final long MAX_DEBOUNCE_MS = 2_000;

  private final Supplier<Collection<LoadedModule>> modules;
  private final Codec codec;
  private final Path file;
  private final boolean watch;
  private final boolean sighup;
  private final Duration debounce;
  private final Clock clock;
  private final Ticker ticker;

  private final Object state = new Object();

  /** Written under {@link #state}; volatile for lock-free reads (welcome). */
  private volatile NodeConfig current;

  @GuardedBy("state")
  private long generation;

  /** Modules that got their first ConfigLoaded; only they get reload events. */
  @GuardedBy("state")
  private final Set<LoadedModule> primed = Collections.newSetFromMap(new WeakHashMap<>());

  private volatile ConfigReload last;
  private volatile String lastError;

  private final ExecutorService reloads;
  private final AtomicBoolean queued = new AtomicBoolean();
  private volatile boolean closed;

  @GuardedBy("this")
  private WatchService watchService;

  private volatile SighupHook sighupHook;

  /**
   * @param modules the loaded modules (reload events go to those already primed)
   * @param clock the time of each reload record
   * @param ticker elapsed time for the debounce
   */
  ConfigReloader(
      Supplier<Collection<LoadedModule>> modules,
      Codec codec,
      Path file,
      boolean watch,
      boolean sighup,
      Duration debounce,
      Clock clock,
      Ticker ticker) {
    this.modules = modules;
    this.codec = codec;
    this.file = file.toAbsolutePath().normalize();
    this.watch = watch;
    this.sighup = sighup;
    this.debounce = debounce;
    this.clock = clock;
    this.ticker = ticker;
    ThreadPoolExecutor t =
        new ThreadPoolExecutor(
            1,
            1,
            0,
            TimeUnit.MILLISECONDS,
            new LinkedBlockingQueue<>(64),
            r -> {
              Thread th = new Thread(r, "blvm-config-reload");
              th.setDaemon(true);
              return th;
            });
    this.reloads = t;
  }

  Path file() {
    return file;
  }

  // ------------------------------------------------------------------ start / close

  /** The load at start: a problem is fatal (fail closed). Then starts the watcher and SIGHUP. */
  void start() throws NodeConfigException {
    if (current != null) {
      return; // already started
    }
    NodeConfig cfg = NodeConfig.read(file);
    synchronized (state) {
      current = cfg;
      generation = 1;
      last = new ConfigReload(ConfigReload.Trigger.START, clock.instant(), 1, List.of(), null);
    }
    LOG.log(System.Logger.Level.INFO, "node config {0} loaded", file);
    if (watch) {
      startWatcher();
    }
    if (sighup) {
      sighupHook = SighupHook.install(() -> request(ConfigReload.Trigger.SIGHUP));
    }
  }

  @Override
  public void close() {
    closed = true;
    if (sighupHook != null) {
      sighupHook.uninstall();
    }
    WatchService ws;
    synchronized (this) {
      ws = watchService;
    }
    if (ws != null) {
      try {
        ws.close();
      } catch (IOException e) {
        LOG.log(System.Logger.Level.DEBUG, "closing the config watcher: {0}", e.toString());
      }
    }
    reloads.shutdownNow();
  }

  // ------------------------------------------------------------------ reloads

  /** Asks for a reload without waiting; coalesces with one already queued. Never blocks. */
  void request(ConfigReload.Trigger trigger) {
    if (closed || !queued.compareAndSet(false, true)) {
      return;
    }
    try {
      reloads.execute(
          () -> {
            queued.set(false);
            reload(trigger);
          });
    } catch (RejectedExecutionException e) {
      queued.set(false);
    }
  }

  /** The admin call: reloads now (on the reload thread) and returns the outcome. */
  ConfigReload reloadNow() {
    if (closed) {
      return failed(ConfigReload.Trigger.ADMIN, "the module manager is closed");
    }
    Future<ConfigReload> f;
    try {
      f = reloads.submit(() -> reload(ConfigReload.Trigger.ADMIN));
    } catch (RejectedExecutionException e) {
      return failed(ConfigReload.Trigger.ADMIN, "too many reloads are queued");
    }
    try {
      return f.get(ADMIN_WAIT_MS, TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      return failed(
          ConfigReload.Trigger.ADMIN,
          "the reload did not finish within " + ADMIN_WAIT_MS + " ms; it may still apply");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return failed(ConfigReload.Trigger.ADMIN, "interrupted while waiting for the reload");
    } catch (ExecutionException e) {
      return failed(ConfigReload.Trigger.ADMIN, "the reload failed: " + e.getCause());
    }
  }

  private ConfigReload failed(ConfigReload.Trigger trigger, String why) {
    return new ConfigReload(trigger, clock.instant(), generation(), List.of(), why);
  }

  private long generation() {
    synchronized (state) {
      return generation;
    }
  }

  /** Runs on the reload thread only. Never throws: a bad reload must not hurt the node. */
  private ConfigReload reload(ConfigReload.Trigger trigger) {
    try {
      NodeConfig next;
      try {
        next = NodeConfig.read(file);
      } catch (NodeConfigException e) {
        lastError = e.getMessage();
        LOG.log(
            System.Logger.Level.ERROR,
            "node config reload ({0}) refused, modules were sent nothing: {1}",
            trigger,
            e.getMessage());
        ConfigReload r = failed(trigger, e.getMessage());
        last = r;
        return r;
      }
      ConfigReload r;
      synchronized (state) {
        NodeConfig old = current;
        List<String> changed = old.changedSections(next);
        if (!changed.isEmpty()) {
          current = next;
          generation++;
        }
        // status first: a module told of the change may ask for it at once
        r = new ConfigReload(trigger, clock.instant(), generation, changed, null);
        last = r;
        lastError = null;
        if (!changed.isEmpty()) {
          for (LoadedModule s : modules.get()) {
            if (primed.contains(s)) {
              ObjectNode before = view(old, s);
              ObjectNode after = view(next, s);
              List<String> visibleChanged = ConfigView.changed(before, after, s.id());
              if (!visibleChanged.isEmpty()) {
                send(s, visibleChanged, after);
              }
            }
          }
        }
      }
      LOG.log(
          System.Logger.Level.INFO,
          "node config reloaded ({0}); changed sections: {1}",
          trigger,
          r.changedSections().isEmpty() ? "none" : r.changedSections());
      return r;
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.ERROR, "node config reload failed inside the loader", e);
      ConfigReload r = failed(trigger, "internal error: " + e.getClass().getSimpleName());
      lastError = r.error();
      last = r;
      return r;
    }
  }

  // ------------------------------------------------------------------ per module

  /** The welcome's context config: manifest defaults overlaid with {@code [modules.<id>]}. */
  JsonNode contextConfig(Session s) {
    return ConfigView.ownConfig(s.manifest().config(), current.moduleSection(s.id()));
  }

  /**
   * After a successful {@code subscribe_events} answer was sent or queued: a module newly
   * subscribed to ConfigLoaded gets the whole visible config once, so it need not wait for a
   * reload. Holding the state lock orders it with reloads: every later reload event diffs against
   * what it was sent.
   */
  void subscribed(LoadedModule slot) {
    if (closed || !slot.session().isSubscribed(EventType.ConfigLoaded.wireName())) {
      return;
    }
    synchronized (state) {
      if (primed.contains(slot)) {
        return;
      }
      ObjectNode v = view(current, slot);
      if (send(slot, ConfigView.all(v, slot.id()), v)) {
        primed.add(slot);
      }
    }
  }

  private static ObjectNode view(NodeConfig cfg, LoadedModule m) {
    Session s = m.session();
    return ConfigView.visible(
        cfg,
        s.id(),
        s.policy(),
        s.granted().contains(Capability.READ_CONFIG),
        s.manifest().config());
  }

  /** Encodes this module's own payload and enqueues it; false when it was not delivered. */
  @GuardedBy("state")
  private boolean send(LoadedModule s, List<String> changed, ObjectNode view) {
    assert Thread.holdsLock(state);
    String json;
    try {
      json = JSON.writeValueAsString(view);
    } catch (JsonProcessingException e) {
      LOG.log(System.Logger.Level.ERROR, "module {0}: config could not be encoded: {1}", s.id(), e);
      return false;
    }
    if (json.length() > codec.limits().maxStringBytes()) {
      LOG.log(
          System.Logger.Level.ERROR,
          "module {0}: its visible config is {1} characters, over the protocol string limit {2};"
              + " not sent",
          s.id(),
          Integer.toString(json.length()),
          Integer.toString(codec.limits().maxStringBytes()));
      return false;
    }
    EventPayloads.ConfigLoaded payload = new EventPayloads.ConfigLoaded(changed, json);
    boolean sent =
        s.deliver(codec.encodeShared(EventType.ConfigLoaded.wireName(), null, (Object) payload));
    if (sent) {
      LOG.log(System.Logger.Level.DEBUG, "module {0}: ConfigLoaded, changed {1}", s.id(), changed);
    }
    return sent;
  }

  // ------------------------------------------------------------------ status

  ConfigReload last() {
    return last;
  }

  String lastError() {
    return lastError;
  }

  // ------------------------------------------------------------------ file watching

  /**
   * Watches the file's directory (not the file: editors and config managers replace it by rename,
   * which a watch on the file itself would lose), and the module config files' directory beside it
   * if it exists at start. Any event naming the file or a module config file, or an overflow, asks
   * for a reload after {@link #debounce} without further events.
   */
  private void startWatcher() {
    Path dir = file.getParent();
    Path name = file.getFileName();
    Path moduleFiles = dir.resolve(NodeConfig.MODULE_FILES);
    WatchService ws;
    try {
      ws = FileSystems.getDefault().newWatchService();
      for (Path d : Files.isDirectory(moduleFiles) ? List.of(dir, moduleFiles) : List.of(dir)) {
        d.register(
            ws,
            StandardWatchEventKinds.ENTRY_CREATE,
            StandardWatchEventKinds.ENTRY_MODIFY,
            StandardWatchEventKinds.ENTRY_DELETE);
      }
    } catch (IOException e) {
      LOG.log(
          System.Logger.Level.ERROR,
          "cannot watch {0} for changes ({1}); reload with SIGHUP or the admin call",
          dir,
          e.toString());
      return;
    }
    Thread t = new Thread(() -> watchLoop(ws, name), "blvm-config-watch");
    t.setDaemon(true);
    synchronized (this) {
      watchService = ws;
    }
    t.start();
  }

  private void watchLoop(WatchService ws, Path name) {
    long debounceMs = Math.max(1, debounce.toMillis());
    try {
      while (!closed) {
        WatchKey key = ws.take();
        boolean relevant = relevant(key, name);
        // debounce: wait until the directory has been quiet for debounceMs, but never more than
        // MAX_DEBOUNCE_MS in all (a busy directory must not postpone the reload for ever)
        long until = ticker.nanoTime() + TimeUnit.MILLISECONDS.toNanos(MAX_DEBOUNCE_MS);
        while (ticker.nanoTime() < until) {
          WatchKey more = ws.poll(debounceMs, TimeUnit.MILLISECONDS);
          if (more == null) {
            break;
          }
          relevant |= relevant(more, name);
        }
        if (relevant) {
          request(ConfigReload.Trigger.FILE_CHANGE);
        }
      }
    } catch (InterruptedException | ClosedWatchServiceException e) {
      // closing
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.ERROR, "the node config watcher stopped", e);
    }
  }

  /** An event naming the node config, or a {@code .toml} file in the module files' directory. */
  private boolean relevant(WatchKey key, Path name) {
    boolean moduleFiles = !file.getParent().equals(key.watchable());
    boolean hit = false;
    for (WatchEvent<?> e : key.pollEvents()) {
      hit |=
          e.kind() == StandardWatchEventKinds.OVERFLOW
              || (e.context() instanceof Path p
                  && (moduleFiles ? p.toString().endsWith(".toml") : p.equals(name)));
    }
    key.reset();
    return hit;
  }
}
