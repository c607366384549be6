package org.blvm.sign;

import java.io.PrintWriter;
import java.util.Map;
import java.util.Set;
import java.util.StringJoiner;
import java.util.TreeSet;
import org.blvm.policy.AdmittedModule;
import org.blvm.policy.BinaryPin;
import org.blvm.policy.IndexTrust;
import org.blvm.policy.IndexVerifier;
import org.blvm.policy.KeyId;
import org.blvm.policy.ModuleFiles;
import org.blvm.policy.ModuleManifest;
import org.blvm.policy.Policy;
import org.blvm.protocol.Capability;

/** Formatting shared by the commands. */
final class Describe {
  private Describe() {}

  static String caps(Set<Capability> caps) {
    if (caps.isEmpty()) {
      return "(none)";
    }
    StringJoiner j = new StringJoiner(", ");
    new TreeSet<>(caps).forEach(c -> j.add(c.wireName()));
    return j.toString();
  }

  static String signers(Policy policy, AdmittedModule a) {
    if (a.unsigned()) {
      return "(nobody: admitted unsigned under allow_unsigned)";
    }
    StringJoiner j = new StringJoiner(", ");
    for (KeyId id : a.signerKeyIds()) {
      j.add(
          policy
              .trustedKey(id)
              .filter(k -> !k.name().equals(id.toString()))
              .map(k -> k.name() + " (" + id + ")")
              .orElse(id.toString()));
    }
    return j + " — " + a.signerKeyIds().size() + " of " + a.modulePolicy().threshold() + " needed";
  }

  /** The keys whose signatures counted for an index, by name, and how many were needed. */
  static String indexSigners(IndexTrust trust, IndexVerifier.Verified v) {
    StringJoiner j = new StringJoiner(", ");
    TreeSet<String> names = new TreeSet<>();
    for (KeyId id : v.signers()) {
      names.add(trust.key(id).map(k -> k.name() + " (" + id + ")").orElse(id.toString()));
    }
    names.forEach(j::add);
    return j + " — " + v.signers().size() + " of " + trust.threshold() + " needed";
  }

  /**
   * The module's files: a summary line under {@code label} (padded to {@code width}), then one line
   * per file with its size and SHA-256, the entry marked; for a manifest in the older form that
   * pins only its binary, a note that the rest of the directory is neither signed nor mounted.
   */
  static void tree(PrintWriter out, String label, int width, ModuleManifest m, ModuleFiles files) {
    String pad = " ".repeat(width);
    out.println(
        (label + pad).substring(0, width)
            + files.count()
            + (files.count() == 1 ? " file, " : " files, ")
            + files.totalBytes()
            + " bytes, tree sha256 "
            + files.digest());
    for (Map.Entry<String, BinaryPin> e : files.pins().entrySet()) {
      out.println(
          pad
              + e.getKey()
              + "  "
              + e.getValue().size()
              + " bytes  sha256 "
              + e.getValue().sha256()
              + (e.getKey().equals(m.entry()) ? "  (entry)" : ""));
    }
    if (m.files() == null && m.binary() != null) {
      out.println(
          pad
              + "(older manifest: [binary] pins the entry alone; other files of the directory are"
              + " not signed and the module does not see them; blvm-sign sign pins them all)");
    }
  }
}
