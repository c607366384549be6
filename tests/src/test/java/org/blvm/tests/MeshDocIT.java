package org.blvm.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.Set;
import org.blvm.policy.ModulePolicy;
import org.blvm.policy.Policy;
import org.junit.jupiter.api.Test;

/**
 * docs/modules.md's blvm-mesh blocks against the real files: the manifest block is the module's
 * {@code module.toml} less its comments, and the policy block parses with the node's policy parser
 * and grants blvm-mesh exactly the manifest's capabilities, the set {@link MeshNodeIT}'s policies
 * start from.
 */
class MeshDocIT {
  private static final String MESH = "blvm-mesh";

  @Test
  void manifestBlock_isTheModulesManifestLessItsComments() throws IOException {
    assertEquals(ModulesDoc.manifestLessComments(MESH), ModulesDoc.block(MESH, "**Manifest**"));
  }

  @Test
  void policyBlock_parses_grantsTheManifestsCapabilities_asMeshNodeItDoes() throws Exception {
    Policy p = ModulesDoc.policyBlock(MESH);

    ModulePolicy mesh = p.forModule(MESH);
    Set<String> manifest = ModulesDoc.manifestCapabilities(MESH);
    assertEquals(manifest, ModulesDoc.granted(mesh), "the doc's policy grants the manifest's");
    assertEquals(
        manifest,
        ModulesDoc.listed(MeshNodeIT.CAPS),
        "MeshNodeIT's policies start from the manifest's");
    assertEquals(Set.of("mesh-receiver"), mesh.callableModules());
    assertFalse(mesh.network().connect().isEmpty(), "a connect rule for the peers");
    assertTrue(
        p.forModule("mesh-sender").callableModules().contains(MESH),
        "a module routing through it may call it");
  }
}
