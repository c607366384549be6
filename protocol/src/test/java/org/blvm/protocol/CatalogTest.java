package org.blvm.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Invariants of the method, event, capability and error-code catalogs. */
class CatalogTest {
  private static final String SNAKE = "[a-z][a-z0-9]*(_[a-z0-9]+)*";

  @Test
  void nodeMethod_wireNames_areSnakeCaseAndUnique() {
    Set<String> seen = new HashSet<>();
    for (NodeMethod m : NodeMethod.values()) {
      assertTrue(m.wireName().matches(SNAKE), m.wireName());
      assertTrue(seen.add(m.wireName()), "duplicate " + m.wireName());
      assertEquals(Optional.of(m), NodeMethod.fromWire(m.wireName()));
      assertNotNull(m.capability(), m.wireName());
      assertTrue(m.paramsType().isRecord(), m.wireName());
      m.resultType().ifPresent(t -> assertTrue(t.isRecord(), m.wireName()));
    }
    assertTrue(seen.contains("get_chain_tip"));
  }

  @Test
  void nodeMethod_readyIsNotInCatalog() {
    assertEquals(Optional.empty(), NodeMethod.fromWire(NodeMethod.READY));
    assertEquals(Optional.empty(), NodeMethod.fromWire("GET_CHAIN_TIP"));
  }

  @Test
  void nodeMethod_onlyCallModuleHasFreeFormResult() {
    for (NodeMethod m : NodeMethod.values()) {
      assertEquals(m == NodeMethod.CALL_MODULE, m.resultType().isEmpty(), m.wireName());
    }
  }

  @Test
  void eventType_everyTypeHasPayloadGroupAndCapability() {
    Set<String> seen = new HashSet<>();
    for (EventType t : EventType.values()) {
      assertNotNull(t.payloadType(), t.name());
      assertTrue(t.payloadType().isRecord(), t.name());
      assertNotNull(t.group(), t.name());
      assertNotNull(t.capability(), t.name());
      assertTrue(t.wireName().matches("[A-Z][A-Za-z]+"), t.wireName());
      assertTrue(seen.add(t.wireName()));
      assertEquals(t.name(), t.payloadType().getSimpleName());
      assertEquals(Optional.of(t), EventType.fromWire(t.wireName()));
    }
  }

  @Test
  void eventType_fromWireOfCustomTopic_isEmpty() {
    assertEquals(Optional.empty(), EventType.fromWire("lightning.invoice_paid"));
    assertEquals(Optional.empty(), EventType.fromWire("newblock"));
  }

  /**
   * No empty promises: every capability grants a NodeAPI method or an event group, except
   * read_config (which sections ConfigLoaded shows).
   */
  @Test
  void capability_everyOneGrantsSomething() {
    Set<Capability> granting = new HashSet<>(Set.of(Capability.READ_CONFIG));
    for (NodeMethod m : NodeMethod.values()) {
      granting.add(m.capability());
    }
    for (EventType t : EventType.values()) {
      if (t.capability() != null) {
        granting.add(t.capability());
      }
    }
    assertEquals(Set.of(Capability.values()), granting);
  }

  @Test
  void capability_fromWire_roundTripsAndIsExact() {
    for (Capability c : Capability.values()) {
      assertTrue(c.wireName().matches(SNAKE), c.wireName());
      assertEquals(Optional.of(c), Capability.fromWire(c.wireName()));
      assertEquals(c.wireName(), c.toString());
      assertEquals(Optional.empty(), Capability.fromWire(c.name()));
    }
    assertEquals(Optional.empty(), Capability.fromWire(" read_blockchain"));
  }

  @Test
  void errorCode_fromWire_roundTripsAndIsExact() {
    for (ErrorCode c : ErrorCode.values()) {
      assertTrue(c.name().matches("[A-Z]+(_[A-Z]+)*"), c.name());
      assertEquals(Optional.of(c), ErrorCode.fromWire(c.name()));
      assertEquals(
          Optional.empty(), ErrorCode.fromWire(c.name().toLowerCase(java.util.Locale.ROOT)));
    }
    assertEquals(Optional.empty(), ErrorCode.fromWire("OK"));
  }
}
