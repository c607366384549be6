package org.blvm.node.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The demo's payment figures count payments by their latest state, not the reports of them. */
class DemoBoardTest {
  private final DemoBoard board = new DemoBoard(line -> {});

  private void report(String requestId, String state) {
    ObjectNode p = JsonNodeFactory.instance.objectNode();
    p.put("request_id", requestId);
    p.put("amount_sats", 1000);
    p.put("confirmations", 0);
    board.moduleEvent(DemoLayout.LIGHTNING, "lightning.payment_" + state, p);
  }

  private String lightningRow() {
    List<String> lines = board.render(name -> "RUNNING");
    return lines.stream().filter(l -> l.contains(DemoLayout.LIGHTNING)).findFirst().orElseThrow();
  }

  @Test
  void payments_countedOnceEach_inTheirLatestState() {
    report("pr-1", "pending");
    report("pr-1", "settled");
    report("pr-2", "pending");
    report("pr-1", "pending"); // a reorg took pr-1's block away
    report("pr-1", "settled");
    report("pr-3", "pending");
    report("pr-3", "failed");
    report("pr-4", "settled"); // settled without a pending report first

    assertEquals(1, board.count(DemoBoard.Count.PAYMENTS_PENDING));
    assertEquals(2, board.count(DemoBoard.Count.PAYMENTS_SETTLED));
    assertEquals(1, board.count(DemoBoard.Count.PAYMENTS_FAILED));
    String row = lightningRow();
    assertTrue(row.endsWith("payments settled 2, pending 1, failed 1"), row);
  }

  @Test
  void payments_beyondTheBound_theLeastRecentlyChangedForgottenButStillCounted() {
    for (int i = 0; i <= DemoBoard.MAX_PAYMENTS; i++) {
      report("pr-" + i, "pending");
    }
    assertEquals(DemoBoard.MAX_PAYMENTS + 1, board.count(DemoBoard.Count.PAYMENTS_PENDING));
    // a recent payment moves from pending to settled
    report("pr-" + DemoBoard.MAX_PAYMENTS, "settled");
    assertEquals(DemoBoard.MAX_PAYMENTS, board.count(DemoBoard.Count.PAYMENTS_PENDING));
    assertEquals(1, board.count(DemoBoard.Count.PAYMENTS_SETTLED));
    // pr-0 was forgotten: it stays counted as pending and its settlement counts as a new payment
    report("pr-0", "settled");
    assertEquals(DemoBoard.MAX_PAYMENTS, board.count(DemoBoard.Count.PAYMENTS_PENDING));
    assertEquals(2, board.count(DemoBoard.Count.PAYMENTS_SETTLED));
  }
}
