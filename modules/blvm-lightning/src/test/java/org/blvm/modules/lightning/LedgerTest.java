package org.blvm.modules.lightning;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

final class LedgerTest {
  @TempDir Path tmp;

  private final List<Payment> published = new ArrayList<>();
  private boolean reachable = true;

  private Ledger open() {
    return open(Ledger.MAX_OUTBOX);
  }

  private Ledger open(int maxOutbox) {
    return Ledger.open(
        new StateFile(tmp.resolve("state.json")),
        p -> {
          if (!reachable) {
            throw new IllegalStateException("node unreachable");
          }
          published.add(p);
        },
        maxOutbox);
  }

  @Test
  void update_stateChanges_numberedReportedOnceAndStored() throws Exception {
    Ledger l = open();
    l.add(Payment.waiting("pr-1", "bcrt1qa", 1000, 50));
    Payment p = l.get("pr-1").orElseThrow();
    l.update(p.unconfirmed("ab".repeat(32), null)); // same state: stored, not reported
    l.update(l.get("pr-1").orElseThrow().inState(Payment.State.PENDING, null));
    l.update(l.get("pr-1").orElseThrow().withConfirmations(1)); // same state again
    l.update(l.get("pr-1").orElseThrow().inState(Payment.State.SETTLED, null));
    l.flush();

    assertEquals(
        List.of(Payment.State.PENDING, Payment.State.SETTLED),
        published.stream().map(Payment::state).toList());
    assertEquals(List.of(1L, 2L), published.stream().map(Payment::transitions).toList());
    Payment stored = open().get("pr-1").orElseThrow();
    assertEquals(Payment.State.SETTLED, stored.state());
    assertEquals(2, stored.transitions());
    assertEquals(1, stored.confirmations());
    assertEquals(2, published.size(), "reopening republishes nothing");
  }

  @Test
  void update_reportFails_keptInTheOutboxAndPublishedAfterARestart() throws Exception {
    Ledger l = open();
    l.add(Payment.waiting("pr-1", "bcrt1qa", 1000, 50));
    reachable = false;
    l.update(l.get("pr-1").orElseThrow().inState(Payment.State.FAILED, "expired"));
    assertEquals(List.of(), published);
    assertTrue(Files.readString(tmp.resolve("state.json")).contains("\"outbox\":[{"));

    reachable = true;
    Ledger again = open(); // as after a kill: the stored outbox is all there is
    again.flush();

    assertEquals(1, published.size());
    assertEquals("expired", published.get(0).reason());
    assertEquals(1, published.get(0).transitions());
    assertTrue(Files.readString(tmp.resolve("state.json")).contains("\"outbox\":[]"));
  }

  @Test
  void update_nodeRefusesReports_outboxKeepsTheNewestUpToItsBound() throws Exception {
    Ledger l = open(3);
    l.add(Payment.waiting("pr-1", "bcrt1qa", 1000, 50));
    reachable = false;
    for (int i = 0; i < 5; i++) {
      Payment.State next = i % 2 == 0 ? Payment.State.PENDING : Payment.State.SETTLED;
      l.update(l.get("pr-1").orElseThrow().inState(next, null));
    }
    reachable = true;
    l.flush();

    assertEquals(List.of(3L, 4L, 5L), published.stream().map(Payment::transitions).toList());
  }

  @Test
  void open_unreadableFile_movedAsideStartsEmptyWithTheProblem() throws Exception {
    Files.writeString(tmp.resolve("state.json"), "{\"format\":1,\"scanned_height\":\"x\"");

    Ledger l = open();

    assertEquals(0, l.size());
    assertTrue(l.problem().orElseThrow().contains("moved to"), l.problem().orElseThrow());
    assertTrue(Files.exists(tmp.resolve("state.json.bad")));
    l.add(Payment.waiting("pr-2", "bcrt1qb", 5, 5));
    l.flush();
    assertEquals(1, open().size());
  }

  @Test
  void open_wrongShape_refusedNamingTheKey() throws Exception {
    Files.writeString(
        tmp.resolve("state.json"),
        "{\"format\":1,\"scanned_height\":3,\"payments\":[{\"state\":\"waiting\",\"request_id\":7}],\"outbox\":[]}");

    Ledger l = open();

    assertTrue(l.problem().orElseThrow().contains("request_id"), l.problem().orElseThrow());
  }
}
