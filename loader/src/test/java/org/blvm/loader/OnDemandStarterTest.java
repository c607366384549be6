package org.blvm.loader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.blvm.protocol.Api;
import org.blvm.protocol.Codec;
import org.blvm.protocol.ErrorCode;
import org.blvm.protocol.Message;
import org.blvm.protocol.SharedEvent;
import org.junit.jupiter.api.Test;

/** The on-demand state machine, with fake launches and a ticker the test moves. */
class OnDemandStarterTest {
  private static final Codec CODEC = Codec.withDefaults();
  private static final long CALL_TIMEOUT_MS = 5_000;

  /** Records what the starter asks for; launches succeed (LOADED) unless {@link #failLaunch}. */
  private static final class FakeActions implements OnDemandActions {
    final List<String> log = new CopyOnWriteArrayList<>();
    final List<String> delivered = new CopyOnWriteArrayList<>();
    final List<SharedEvent> deliveredEvents = new CopyOnWriteArrayList<>();
    volatile int launches;
    volatile boolean failLaunch;
    volatile long eventsSent;
    volatile long missed;

    @Override
    public ModuleStatus launch(String id) {
      launches++;
      log.add("launch");
      ModuleState s = failLaunch ? ModuleState.FAILED : ModuleState.LOADED;
      return new ModuleStatus(id, "1.0.0", s, OptionalLong.empty(), failLaunch ? "boom" : null);
    }

    @Override
    public void stop(String id, String why) {
      log.add("stop " + why);
    }

    @Override
    public void park(String id, String detail) {
      log.add("park");
    }

    @Override
    public void deliver(String id, SharedEvent event) {
      delivered.add(event.type());
      deliveredEvents.add(event);
    }

    @Override
    public void missed(String id, long n) {
      missed += n;
    }

    @Override
    public CompletableFuture<Message.Response> invoke(
        String id, String method, JsonNode params, String caller) {
      log.add("invoke " + method + " from " + caller);
      return CompletableFuture.completedFuture(
          Message.Response.ok(0, JsonNodeFactory.instance.textNode("answer to " + caller)));
    }

    @Override
    public long eventsSent(String id) {
      return eventsSent;
    }

    @Override
    public void afterQueuedEvents(Runnable task) {
      task.run();
    }

    @Override
    public void spawn(String id, Runnable task) {
      task.run();
    }
  }

  private final FakeActions actions = new FakeActions();
  private final FakeTicker ticker = new FakeTicker();
  private final OnDemandStarter starter = new OnDemandStarter(actions, ticker, CALL_TIMEOUT_MS);

  OnDemandStarterTest() {
    starter.register("b", Set.of("echo"), Set.of("NewBlock"), 60);
  }

  private static SharedEvent event(String type, int n) {
    return CODEC.encodeShared(type, null, JsonNodeFactory.instance.numberNode(n));
  }

  private CompletableFuture<Message.Response> call(String caller) {
    return starter.call("b", "echo", JsonNodeFactory.instance.objectNode(), caller);
  }

  @Test
  void concurrentFirstCalls_startTheModuleOnce_andAreAnsweredOnceItStarted() {
    assertTrue(starter.intercepts("b"));
    CompletableFuture<Message.Response> first = call("a");
    CompletableFuture<Message.Response> second = call("c");
    assertEquals(1, actions.launches);
    assertEquals(OnDemandStarter.State.STARTING, starter.state("b"));
    assertFalse(first.isDone());
    starter.stateChanged("b", ModuleState.INITIALIZED, null);
    assertFalse(first.isDone(), "not before STARTED");
    starter.stateChanged("b", ModuleState.STARTED, null);
    assertEquals("answer to a", first.join().result().asText());
    assertEquals("answer to c", second.join().result().asText());
    assertEquals(OnDemandStarter.State.RUNNING, starter.state("b"));
    assertFalse(starter.intercepts("b"));
    assertTrue(starter.passes("b"));
    // running: a call goes straight to the module
    assertEquals("answer to d", call("d").join().result().asText());
    assertEquals(1, actions.launches);
  }

  @Test
  void discoverModules_listsAnIdleModuleWithTheMethodsItsManifestProvides_notAFailedOne() {
    starter.register("c", Set.of("zeta", "alpha"), Set.of(), 60);
    ModuleRegistry registry = new ModuleRegistry((source, type, payload) -> {});
    registry.onDemand(starter);
    registry.refuse(
        "c", new ModuleStatus("c", "2.1.0", ModuleState.IDLE, OptionalLong.empty(), ""));
    registry.refuse(
        "d", new ModuleStatus("d", "1.0.0", ModuleState.FAILED, OptionalLong.empty(), "refused"));
    registry.refuse(
        "b", new ModuleStatus("b", "1.0.0", ModuleState.IDLE, OptionalLong.empty(), ""));
    assertEquals(
        List.of(
            new Api.ModuleInfo("b", "1.0.0", "IDLE", List.of("echo")),
            new Api.ModuleInfo("c", "2.1.0", "IDLE", List.of("alpha", "zeta"))),
        registry.moduleInfos());
    starter.forget("c"); // unloaded: no longer started on demand
    assertEquals(List.of("b"), registry.moduleInfos().stream().map(i -> i.moduleId()).toList());
  }

  @Test
  void aMethodTheManifestDoesNotProvide_isRefusedWithoutAStart() {
    Message.Response r =
        starter.call("b", "other", JsonNodeFactory.instance.objectNode(), "a").join();
    assertEquals(ErrorCode.UNKNOWN_METHOD, r.error().code());
    assertEquals(0, actions.launches);
  }

  @Test
  void anEventItSubscribesTo_startsIt_andEventsDuringTheStartArriveInOrder() {
    starter.offer(event("NewTransaction", 0));
    assertEquals(0, actions.launches, "a type it does not list in subscribes");
    SharedEvent first = event("NewBlock", 1);
    starter.offer(first);
    assertEquals(1, actions.launches);
    assertFalse(starter.passes("b"), "while it starts, the fan-out queues for it");
    SharedEvent second = event("NewTransaction", 2);
    SharedEvent third = event("NewBlock", 3);
    starter.offer(second);
    starter.offer(third);
    assertEquals(List.of(), actions.delivered);
    starter.stateChanged("b", ModuleState.STARTED, null);
    assertEquals(List.of(first, second, third), actions.deliveredEvents);
    assertEquals(0, actions.missed);
    assertEquals(1, actions.launches);
  }

  @Test
  void aBurstBeyondTheQueue_dropsTheOldest_andTellsTheModuleHowMany() {
    int burst = OnDemandStarter.MAX_QUEUED_EVENTS + 6;
    List<SharedEvent> sent = new ArrayList<>();
    for (int i = 0; i < burst; i++) {
      SharedEvent e = event("NewBlock", i);
      sent.add(e);
      starter.offer(e);
    }
    starter.stateChanged("b", ModuleState.STARTED, null);
    assertEquals(6, actions.missed);
    assertEquals(sent.subList(6, burst), actions.deliveredEvents, "the newest, in order");
  }

  @Test
  void afterIdleSeconds_withoutCallsOrEvents_itIsStopped_andTheNextCallStartsItAgain() {
    call("a");
    starter.stateChanged("b", ModuleState.STARTED, null);
    starter.tick(); // records the activity of the start
    ticker.advance(Duration.ofSeconds(59));
    starter.tick();
    assertEquals(OnDemandStarter.State.RUNNING, starter.state("b"));
    actions.eventsSent = 5; // an event delivered: the idle time starts again
    starter.tick();
    ticker.advance(Duration.ofSeconds(59));
    starter.tick();
    assertEquals(OnDemandStarter.State.RUNNING, starter.state("b"));
    starter.called("b"); // a call likewise
    starter.tick();
    ticker.advance(Duration.ofSeconds(60));
    starter.tick();
    assertEquals(OnDemandStarter.State.ENDING, starter.state("b"));
    assertTrue(actions.log.contains("stop idle for 60 s"), actions.log.toString());
    assertTrue(starter.intercepts("b"), "a call while it stops waits for the next start");
    starter.stateChanged("b", ModuleState.STOPPED, "idle for 60 s; process exited with status 0");
    assertEquals(OnDemandStarter.State.IDLE, starter.state("b"));
    CompletableFuture<Message.Response> again = call("a");
    assertEquals(2, actions.launches);
    starter.stateChanged("b", ModuleState.STARTED, null);
    assertEquals("answer to a", again.join().result().asText());
  }

  @Test
  void aCallDuringTheIdleStop_startsItAgainOnceItEnded() {
    call("a");
    starter.stateChanged("b", ModuleState.STARTED, null);
    starter.tick();
    ticker.advance(Duration.ofSeconds(61));
    starter.tick();
    CompletableFuture<Message.Response> during = call("c");
    assertEquals(1, actions.launches);
    starter.stateChanged("b", ModuleState.STOPPED, "idle");
    assertEquals(2, actions.launches, "started again for the call that waited");
    starter.stateChanged("b", ModuleState.STARTED, null);
    assertEquals("answer to c", during.join().result().asText());
  }

  @Test
  void aStartThatFails_failsTheWaitingCallsUnavailable_andReturnsToIdle() {
    actions.failLaunch = true;
    Message.Response r = call("a").join();
    assertEquals(ErrorCode.UNAVAILABLE, r.error().code());
    assertTrue(r.error().message().contains("could not start: boom"), r.error().message());
    assertEquals(OnDemandStarter.State.IDLE, starter.state("b"));
    assertEquals(List.of("launch", "park"), actions.log);
    // the failed launch also reports FAILED as a state change: parked once
    starter.stateChanged("b", ModuleState.FAILED, "boom");
    assertEquals(List.of("launch", "park"), actions.log);
  }

  @Test
  void aCrashAfterTheStart_returnsItToIdle() {
    call("a");
    starter.stateChanged("b", ModuleState.STARTED, null);
    starter.stateChanged("b", ModuleState.FAILED, "process exited with status 3");
    assertEquals(OnDemandStarter.State.IDLE, starter.state("b"));
    assertTrue(starter.intercepts("b"));
  }

  @Test
  void aCallWhoseDeadlinePassesBeforeTheStart_failsUnavailable() {
    CompletableFuture<Message.Response> r = call("a");
    ticker.advance(Duration.ofMillis(CALL_TIMEOUT_MS - 1));
    starter.tick();
    assertFalse(r.isDone());
    ticker.advance(Duration.ofMillis(1));
    starter.tick();
    Message.Response answer = r.join();
    assertNotNull(answer.error());
    assertEquals(ErrorCode.UNAVAILABLE, answer.error().code());
    assertTrue(answer.error().message().contains("did not start within 5000 ms"));
    // the module still starts; nothing waits for it any more
    starter.stateChanged("b", ModuleState.STARTED, null);
    assertEquals(OnDemandStarter.State.RUNNING, starter.state("b"));
    assertFalse(actions.log.stream().anyMatch(l -> l.startsWith("invoke")));
  }

  @Test
  void anOperatorStart_launchesAnIdleModule_andRefusesARunningOne() {
    starter.startNow("b");
    assertEquals(1, actions.launches);
    assertThrows(IllegalStateException.class, () -> starter.startNow("b"));
  }

  @Test
  void close_failsWaitingCalls() {
    CompletableFuture<Message.Response> r = call("a");
    starter.close();
    assertEquals(ErrorCode.UNAVAILABLE, r.join().error().code());
    assertEquals(ErrorCode.UNAVAILABLE, call("c").join().error().code());
  }
}
