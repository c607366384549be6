package org.blvm.policy;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * The policy's key tables: {@code [[keys]]} (and {@code [[index.keys]]}, same shape) and the root
 * {@code revoked} list.
 */
final class TrustedKeysTable {
  private static final Pattern KEY_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}");
  private static final Set<String> KEY_KEYS =
      new TreeSet<>(List.of("name", "public_key", "not_before", "not_after"));

  private TrustedKeysTable() {}

  /**
   * The {@code [[at]]} array of trusted keys: names and keys unique, at most {@link
   * Policy#MAX_KEYS}.
   */
  static List<TrustedKey> keyList(PolicyProblems p, JsonNode keysNode, String at) {
    List<TrustedKey> keys = new ArrayList<>();
    if (keysNode != null) {
      if (!keysNode.isArray()) {
        p.add(at, "must be an array of tables: [[" + at + "]]");
      } else if (keysNode.size() > Policy.MAX_KEYS) {
        p.add(at, "more than " + Policy.MAX_KEYS + " keys");
      } else {
        Set<String> names = new HashSet<>();
        Set<KeyId> ids = new HashSet<>();
        Set<String> publicKeys = new HashSet<>();
        for (int i = 0; i < keysNode.size(); i++) {
          TrustedKey k = trustedKey(p, keysNode.get(i), at + "[" + i + "]");
          if (k != null) {
            if (!names.add(k.name())) {
              p.add(at + "[" + i + "].name", "\"" + k.name() + "\" names two keys");
            }
            if (!ids.add(k.keyId())) {
              p.add(at + "[" + i + "].public_key", "key id " + k.keyId() + " is listed twice");
            } else if (!publicKeys.add(HexFormat.of().formatHex(k.key().ed25519()))) {
              // The same Ed25519 key under a second key id would count twice toward the threshold.
              p.add(
                  at + "[" + i + "].public_key",
                  "the same Ed25519 key is already listed under another key id");
            }
            keys.add(k);
          }
        }
      }
    }
    return keys;
  }

  /** The root {@code revoked} list: key ids or minisign public keys. */
  static Set<KeyId> revoked(PolicyProblems p, JsonNode root) {
    Set<KeyId> revoked = new LinkedHashSet<>();
    for (String r : p.strings(root, "revoked", "revoked")) {
      try {
        revoked.add(
            r.length() == 16 ? KeyId.parse(r) : MinisignPublicKey.parse(r, "revoked").keyId());
      } catch (IllegalArgumentException | KeyFormatException e) {
        p.add(
            "revoked",
            "\"" + r + "\" is neither a key id (16 hex digits) nor a minisign public key");
      }
    }
    return revoked;
  }

  private static TrustedKey trustedKey(PolicyProblems p, JsonNode n, String at) {
    if (!n.isObject()) {
      p.add(at, "must be a table with name and public_key");
      return null;
    }
    p.unknownKeys(n, at, KEY_KEYS);
    String name = p.string(n, "name", at + ".name", null);
    String pk = p.string(n, "public_key", at + ".public_key", null);
    if (name == null) {
      p.add(at + ".name", "missing");
    } else if (!KEY_NAME.matcher(name).matches()) {
      p.add(at + ".name", "must match " + KEY_NAME.pattern() + ", found \"" + name + "\"");
    }
    if (pk == null) {
      p.add(at + ".public_key", "missing (the base64 line of a minisign .pub file)");
    }
    Instant nb = p.instant(n, "not_before", at + ".not_before");
    Instant na = p.instant(n, "not_after", at + ".not_after");
    if (nb != null && na != null && !nb.isBefore(na)) {
      p.add(at + ".not_after", "must be later than not_before (" + nb + "), found " + na);
    }
    if (name == null || pk == null || !KEY_NAME.matcher(name).matches()) {
      return null;
    }
    try {
      return new TrustedKey(name, MinisignPublicKey.parse(pk, at + ".public_key"), nb, na);
    } catch (KeyFormatException e) {
      p.add(at + ".public_key", e.reason());
      return null;
    }
  }
}
