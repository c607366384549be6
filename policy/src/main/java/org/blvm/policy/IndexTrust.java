package org.blvm.policy;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The policy's {@code [index]} section: the keys trusted to sign module indexes and how many of
 * them must sign one. A list of its own, apart from the module signing keys: a key that may vouch
 * for an index (what exists, where, with which digest) is not thereby trusted to sign modules, nor
 * the other way round. The policy's {@code revoked} list applies to both.
 *
 * <pre>
 * [index]
 * threshold = 1
 * [[index.keys]]
 * name = "releases"
 * public_key = "RWQ…"
 * </pre>
 *
 * @param keys the keys trusted for indexes; empty: no index can be verified
 * @param threshold distinct keys whose signatures must count
 * @param revoked the policy's revoked key ids
 */
public record IndexTrust(List<TrustedKey> keys, int threshold, Set<KeyId> revoked) {
  /** No index key trusted: every index is refused. */
  public static final IndexTrust NONE = new IndexTrust(List.of(), 1, Set.of());

  private static final Set<String> KEYS = new TreeSet<>(List.of("threshold", "keys"));

  public IndexTrust {
    keys = List.copyOf(keys);
    revoked = Set.copyOf(revoked);
  }

  /** The trusted index key with this id, revoked ones included. */
  public Optional<TrustedKey> key(KeyId id) {
    return keys.stream().filter(k -> k.keyId().equals(id)).findFirst();
  }

  static IndexTrust parse(PolicyProblems p, JsonNode n, Set<KeyId> revoked) {
    if (n == null) {
      return new IndexTrust(List.of(), 1, revoked);
    }
    if (!n.isObject()) {
      p.add("index", "must be a table: [index]");
      return NONE;
    }
    p.unknownKeys(n, "index", KEYS);
    int threshold = p.integer(n, "threshold", "index.threshold", 1, Policy.MAX_KEYS, 1);
    List<TrustedKey> keys = TrustedKeysTable.keyList(p, n.get("keys"), "index.keys");
    long usable = keys.stream().filter(k -> !revoked.contains(k.keyId())).count();
    if (usable < threshold) {
      p.add(
          "index.threshold",
          "is "
              + threshold
              + " but only "
              + usable
              + " index keys are listed and not revoked ([[index.keys]])");
    }
    return new IndexTrust(keys, threshold, revoked);
  }
}
