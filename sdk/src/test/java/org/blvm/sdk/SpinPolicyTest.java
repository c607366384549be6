package org.blvm.sdk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** The rules of {@link SpinPolicy}, without threads or sockets. */
final class SpinPolicyTest {
  @Test
  void mayPoll_oneCpu_never() {
    SpinPolicy p = new SpinPolicy(1);
    for (int i = 0; i < 3 * SpinPolicy.PROBE_EVERY; i++) {
      assertFalse(p.mayPoll());
    }
  }

  @Test
  void mayPoll_lateAnswersSpendTheCredit_thenOnlyEveryProbeCallPolls() {
    SpinPolicy p = new SpinPolicy(2);
    assertTrue(p.mayPoll());
    for (int i = 0; i < SpinPolicy.CREDIT_MAX / 2; i++) {
      p.spun(false); // two credits each
    }
    int allowed = 0;
    for (int i = 0; i < 2 * SpinPolicy.PROBE_EVERY; i++) {
      allowed += p.mayPoll() ? 1 : 0;
    }
    assertEquals(2, allowed);
  }

  @Test
  void spun_answersInTimeEarnCreditBackUpToTheMaximum() {
    SpinPolicy p = new SpinPolicy(2);
    for (int i = 0; i < SpinPolicy.CREDIT_MAX; i++) {
      p.spun(false);
    }
    p.spun(true);
    assertTrue(p.mayPoll(), "one answer in time is credit enough");
    p.spun(false);
    for (int i = 0; i < 100; i++) {
      p.spun(true);
    }
    for (int i = 0; i < SpinPolicy.CREDIT_MAX / 2 - 1; i++) {
      p.spun(false);
    }
    assertTrue(p.mayPoll(), "credit is capped, not lost: two left");
    p.spun(false);
    assertFalse(p.mayPoll(), "the cap is " + SpinPolicy.CREDIT_MAX);
  }

  @Test
  void spinBriefly_answerAlreadyThere_returnsAtOnce_andNoAnswer_givesUpAfterTheSpin() {
    SpinPolicy p = new SpinPolicy(2);
    p.spinBriefly(CompletableFuture.completedFuture(1));
    long start = System.nanoTime();
    p.spinBriefly(new CompletableFuture<>());
    assertTrue(System.nanoTime() - start >= SpinPolicy.SPIN_NANOS);
  }

  @Test
  void readerStaysOff_whileACallerReadsOrDuringTheGraceWithNoCallWaiting() {
    assertTrue(SpinPolicy.readerStaysOff(true, 3, Long.MAX_VALUE));
    assertTrue(SpinPolicy.readerStaysOff(false, 0, SpinPolicy.READER_GRACE_NANOS - 1));
    assertFalse(SpinPolicy.readerStaysOff(false, 0, SpinPolicy.READER_GRACE_NANOS));
    assertFalse(SpinPolicy.readerStaysOff(false, 1, 0));
  }

  @Test
  void longerSleep_doublesUpToTheMaximum() {
    assertEquals(
        2 * SpinPolicy.READER_GRACE_NANOS, SpinPolicy.longerSleep(SpinPolicy.READER_GRACE_NANOS));
    assertEquals(
        SpinPolicy.READER_MAX_SLEEP_NANOS,
        SpinPolicy.longerSleep(SpinPolicy.READER_MAX_SLEEP_NANOS));
  }
}
