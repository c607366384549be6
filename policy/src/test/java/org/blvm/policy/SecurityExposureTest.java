package org.blvm.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.blvm.protocol.Capability;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The exposure score: a default module scores low, each item of the table adds exactly its weight
 * (one test per row, driven by the table in the code), the score stops at 10, and the table in
 * docs/security-score.md is the code's.
 */
class SecurityExposureTest {
  private static final LimitSettings TIGHT =
      new LimitSettings(
          OptionalInt.of(256),
          OptionalInt.of(600),
          OptionalInt.of(128),
          OptionalInt.of(32),
          OptionalInt.of(64),
          OptionalInt.of(512),
          OptionalInt.of(10000));

  /** Builds facts; starts as a module with as little exposure as the table allows. */
  private static final class Facts {
    Set<Capability> granted = EnumSet.noneOf(Capability.class);
    boolean unsigned;
    boolean allowUnsigned;
    int threshold = 2;
    boolean secrets;
    boolean any;
    boolean rate;
    boolean hostNetwork;
    LimitSettings limits = TIGHT;
    Optional<String> profile = Optional.of("strict");
    ExposureFacts.Isolation isolation = ExposureFacts.Isolation.SANDBOX_OWN_UID;
    List<String> writable = List.of();

    ExposureFacts build() {
      return new ExposureFacts(
          "m",
          granted,
          unsigned,
          allowUnsigned,
          threshold,
          secrets,
          any,
          rate,
          hostNetwork,
          limits,
          profile,
          isolation,
          writable);
    }

    /** Changed so that exactly {@code item} applies in addition. */
    Facts with(ExposureItem item) {
      if (item.capability().isPresent()) {
        granted.add(item.capability().get());
        return this;
      }
      LimitSettings l = limits;
      switch (item) {
        case CONFIG_SECRETS -> secrets = true;
        case CALLABLE_ANY -> any = true;
        case RATE_UNLIMITED -> rate = true;
        case HOST_NETWORK -> hostNetwork = true;
        case LIMITS_UNSET -> limits = LimitSettings.NONE;
        case CPU_UNLIMITED ->
            limits =
                new LimitSettings(
                    l.memoryMb(),
                    OptionalInt.of(0),
                    l.openFiles(),
                    l.processes(),
                    l.diskMb(),
                    l.dataMb(),
                    l.dataFiles());
        case MEMORY_GENEROUS ->
            limits =
                new LimitSettings(
                    OptionalInt.of(4097),
                    l.cpuSeconds(),
                    l.openFiles(),
                    l.processes(),
                    l.diskMb(),
                    l.dataMb(),
                    l.dataFiles());
        case PROCESSES_GENEROUS ->
            limits =
                new LimitSettings(
                    l.memoryMb(),
                    l.cpuSeconds(),
                    l.openFiles(),
                    OptionalInt.of(513),
                    l.diskMb(),
                    l.dataMb(),
                    l.dataFiles());
        case OPEN_FILES_GENEROUS ->
            limits =
                new LimitSettings(
                    l.memoryMb(),
                    l.cpuSeconds(),
                    OptionalInt.of(16385),
                    l.processes(),
                    l.diskMb(),
                    l.dataMb(),
                    l.dataFiles());
        case DISK_GENEROUS ->
            limits =
                new LimitSettings(
                    l.memoryMb(),
                    l.cpuSeconds(),
                    l.openFiles(),
                    l.processes(),
                    OptionalInt.of(65537),
                    l.dataMb(),
                    l.dataFiles());
        case UNSIGNED -> unsigned = true;
        case ALLOW_UNSIGNED -> allowUnsigned = true;
        case SINGLE_KEY -> threshold = 1;
        case UNSANDBOXED -> isolation = ExposureFacts.Isolation.UNSANDBOXED;
        case NODE_UID -> isolation = ExposureFacts.Isolation.SANDBOX_NODE_UID;
        case SHARED_UID -> isolation = ExposureFacts.Isolation.SANDBOX_SHARED_UID;
        case DENY_LIST_PROFILE -> profile = Optional.of("default");
        case WRITABLE_PATHS -> writable = List.of("/var/lib/blvm/state/data/m");
        default -> throw new AssertionError("a new exposure item needs a case here: " + item);
      }
      return this;
    }
  }

  private static List<ExposureItem> items(ExposureReport r) {
    List<ExposureItem> out = new ArrayList<>();
    r.findings().forEach(x -> out.add(x.item()));
    return out;
  }

  @Test
  void minimal_scoresZero() {
    ExposureReport r = SecurityExposure.assess(new Facts().build());
    assertEquals(List.of(), r.findings());
    assertEquals("0.0", r.score());
  }

  @ParameterizedTest
  @EnumSource(ExposureItem.class)
  void eachItem_raisesTheScoreByExactlyItsWeight(ExposureItem item) {
    ExposureReport before = SecurityExposure.assess(new Facts().build());
    ExposureReport after = SecurityExposure.assess(new Facts().with(item).build());
    assertEquals(List.of(item), items(after), "only " + item + " applies");
    assertEquals(before.scoreTenths() + item.weightTenths(), after.scoreTenths(), item.id());
    assertTrue(item.weightTenths() > 0, item.id());
    assertTrue(!item.allows().isEmpty() && !item.fix().isEmpty(), item.id());
  }

  @Test
  void eachCapability_hasAnItem() {
    for (Capability c : Capability.values()) {
      assertEquals(Optional.of(c), ExposureItem.of(c).capability());
    }
  }

  @Test
  void aDefaultModule_scoresLowExposure() throws Exception {
    Policy p = Policy.parse("policy.toml", "threshold = 1\n".getBytes());
    ModulePolicy mp = p.forModule("plain");
    // a module under the policy's defaults: nothing granted, signed, the loader's profile
    Facts f = new Facts();
    f.threshold = mp.threshold();
    f.allowUnsigned = mp.allowUnsigned();
    f.secrets = !mp.configSecrets().isEmpty();
    f.any = mp.callableModules().contains("*");
    f.rate = mp.rateLimit().unlimited();
    f.limits = mp.limits();
    f.profile = Optional.empty();
    f.isolation = ExposureFacts.Isolation.UNKNOWN;
    f.writable = List.of("its data directory");
    ExposureFacts offline = f.build();
    ExposureReport r = SecurityExposure.assess(offline);
    assertEquals(
        List.of(ExposureItem.LIMITS_UNSET, ExposureItem.SINGLE_KEY, ExposureItem.WRITABLE_PATHS),
        items(r));
    assertEquals("LOW", r.rating());
    assertEquals(2, r.notScored().size(), r.notScored().toString());
    // the same module with the single shared sandbox user and the default profile
    f.profile = Optional.of("default");
    f.isolation = ExposureFacts.Isolation.SANDBOX_SHARED_UID;
    ExposureReport running = SecurityExposure.assess(f.build());
    assertEquals(13, running.scoreTenths());
    assertEquals("LOW", running.rating());
    assertEquals(List.of(), running.notScored());
  }

  @Test
  void score_stopsAtTen() {
    Facts f = new Facts();
    for (ExposureItem i : ExposureItem.values()) {
      f.with(i);
    }
    ExposureReport r = SecurityExposure.assess(f.build());
    assertEquals(100, r.scoreTenths());
    assertEquals("10.0", r.score());
    assertEquals("UNSAFE", r.rating());
  }

  @Test
  void docTable_isTheCodeTable() throws Exception {
    String doc =
        Files.readString(
            Paths.get("").toAbsolutePath().getParent().resolve("docs/security-score.md"));
    Pattern row =
        Pattern.compile("(?m)^\\| `([a-z_]+)` \\| ([0-9]+\\.[0-9]) \\| (.*) \\| (.*) \\|$");
    Map<String, String> documented = new LinkedHashMap<>();
    Matcher m = row.matcher(doc);
    while (m.find()) {
      documented.put(m.group(1), m.group(2) + " | " + m.group(3) + " | " + m.group(4));
    }
    Map<String, String> code = new LinkedHashMap<>();
    for (ExposureItem i : ExposureItem.values()) {
      code.put(
          i.id(),
          SecurityExposure.points(i.weightTenths())
              + " | "
              + i.allows().replace("|", "\\|")
              + " | "
              + i.fix().replace("|", "\\|"));
    }
    assertEquals(code, documented);
  }
}
