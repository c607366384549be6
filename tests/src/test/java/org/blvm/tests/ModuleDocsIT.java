package org.blvm.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.util.List;
import java.util.Set;
import org.blvm.policy.ModulePolicy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * docs/modules.md's blvm-governance and blvm-stratum-v2 blocks against the real files: each
 * manifest block is the module's {@code module.toml} less its comments, and each policy block
 * parses with the node's policy parser and grants exactly the manifest's capabilities, the set the
 * module's node test ({@link GovernanceNodeIT}, {@link StratumNodeIT}) grants it (the demo's policy
 * grants the same, checked in the node's own tests).
 */
class ModuleDocsIT {
  private static final String GOVERNANCE = "blvm-governance";
  private static final String STRATUM = "blvm-stratum-v2";

  @ParameterizedTest
  @ValueSource(strings = {GOVERNANCE, STRATUM})
  void manifestBlock_isTheModulesManifestLessItsComments(String module) throws IOException {
    assertEquals(ModulesDoc.manifestLessComments(module), ModulesDoc.block(module, "**Manifest**"));
  }

  /**
   * The doc's policy block for {@code module}, checked to grant exactly the manifest's
   * capabilities, those its node test grants ({@code nodeTestCaps}).
   */
  private static ModulePolicy policyGrantingTheManifests(
      String module, String nodeTestCaps, String nodeTest) throws Exception {
    ModulePolicy p = ModulesDoc.policyBlock(module).forModule(module);
    Set<String> manifest = ModulesDoc.manifestCapabilities(module);
    assertEquals(manifest, ModulesDoc.granted(p), "the doc's policy grants the manifest's");
    assertEquals(manifest, ModulesDoc.listed(nodeTestCaps), "as " + nodeTest + " does");
    return p;
  }

  @Test
  void governancePolicyBlock_grantsTheManifestsCapabilitiesSectionAndSecret() throws Exception {
    ModulePolicy p =
        policyGrantingTheManifests(GOVERNANCE, GovernanceNodeIT.CAPS, "GovernanceNodeIT");
    assertEquals(List.of("governance"), p.configSections());
    assertEquals(List.of("governance.webhook_secret"), p.configSecrets());
    assertEquals(1, p.network().connect().size(), "one connect rule: the receiver");
    assertEquals(List.of(), p.network().listen());
  }

  @Test
  void stratumPolicyBlock_grantsTheManifestsCapabilitiesAndItsListenAddress() throws Exception {
    ModulePolicy p = policyGrantingTheManifests(STRATUM, StratumNodeIT.CAPS, "StratumNodeIT");
    assertEquals(List.of(), p.network().connect(), "it connects nowhere");
    assertEquals(1, p.network().listen().size(), "the address of its config's listen");
    assertEquals(Set.of(), p.callableModules(), "it calls no module");
  }
}
