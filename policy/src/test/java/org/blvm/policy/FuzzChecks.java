package org.blvm.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/** Checks the fuzz targets of this package share. */
final class FuzzChecks {
  private FuzzChecks() {}

  /** A rejection names its source and says what is wrong. */
  static void rejection(Exception e, Object source, Object expectedSource) {
    assertEquals(expectedSource, source, "the rejection names another source");
    if (e.getMessage() == null || e.getMessage().isBlank()) {
      fail(e.getClass().getSimpleName() + " without a message", e);
    }
  }
}
