package org.blvm.sign;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.blvm.policy.MinisignPublicKey;

/**
 * A node home and a local index mirror for the index tests: {@code home/modules}, {@code
 * home/state} (mode 0700, as the node makes it at its first start) and {@code mirror}.
 */
record IndexHome(Path home, Path mirror) {
  static IndexHome in(Path dir) throws IOException {
    Path mirror = Files.createDirectories(dir.resolve("mirror"));
    Path home = Files.createDirectories(dir.resolve("home"));
    Files.createDirectories(home.resolve("modules"));
    Files.createDirectory(
        home.resolve("state"),
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    return new IndexHome(home, mirror);
  }

  /** A policy trusting {@code moduleKey} for modules and {@code indexKey} for indexes. */
  void policy(MinisignPublicKey moduleKey, MinisignPublicKey indexKey) throws IOException {
    Files.writeString(
        home.resolve("policy.toml"),
        "threshold = 1\n[[keys]]\nname = \"release\"\npublic_key = \""
            + moduleKey.encoded()
            + "\"\n[defaults]\ncapabilities = [\"read_blockchain\", \"network_connect\"]\n"
            + "[index]\n[[index.keys]]\nname = \"mirror\"\npublic_key = \""
            + indexKey.encoded()
            + "\"\n");
  }
}
