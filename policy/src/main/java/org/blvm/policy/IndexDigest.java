package org.blvm.policy;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Map;
import java.util.SortedMap;

/**
 * The digest a module index pins for a module directory: SHA-256 over one line {@code <sha256
 * hex>␣␣<path>\n} per regular file of the directory, {@code module.toml} and its signature files
 * included, in path order (byte order). It is what {@code (cd DIR && find . -type f | sed
 * 's|^\./||' | LC_ALL=C sort | xargs sha256sum) | sha256sum} prints. Unlike the tree digest of the
 * store it covers the manifest and the signatures, so an index pins exactly what it ships.
 */
public final class IndexDigest {
  private IndexDigest() {}

  /** The digest of {@code files} (path to SHA-256, sorted by path). */
  public static Sha256 of(SortedMap<String, Sha256> files) {
    MessageDigest md = Sha256.newDigest();
    for (Map.Entry<String, Sha256> e : files.entrySet()) {
      md.update((e.getValue().hex() + "  " + e.getKey() + "\n").getBytes(StandardCharsets.UTF_8));
    }
    return Sha256.of(md.digest());
  }
}
