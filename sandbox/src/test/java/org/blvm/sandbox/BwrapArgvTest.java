package org.blvm.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which system library directories are recreated link by link instead of bound. */
class BwrapArgvTest {
  @TempDir Path tmp;

  @Test
  void linksOnly_aDirectoryOfLinks_givesEachLink_anythingElseIsBound() throws Exception {
    Path links = Files.createDirectory(tmp.resolve("links"));
    Files.createSymbolicLink(links.resolve("ld.so"), Path.of("/lib/x/ld.so"));
    List<String[]> got = BwrapArgv.linksOnly(links);
    assertEquals(1, got.size());
    assertEquals(links.resolve("ld.so").toString(), got.get(0)[0]);
    assertEquals("/lib/x/ld.so", got.get(0)[1]);

    Files.writeString(links.resolve("libc.so"), "a library");
    assertNull(BwrapArgv.linksOnly(links), "a file among the links: bound");
    assertNull(BwrapArgv.linksOnly(Files.createDirectory(tmp.resolve("empty"))), "empty: bound");
    assertNull(BwrapArgv.linksOnly(tmp.resolve("missing")), "unreadable: bound");

    Path many = Files.createDirectory(tmp.resolve("many"));
    for (int i = 0; i <= BwrapArgv.MAX_LINKS_ONLY; i++) {
      Files.createSymbolicLink(many.resolve("l" + i), Path.of("/x"));
    }
    assertNull(BwrapArgv.linksOnly(many), "more links than the bound: bound");
  }
}
