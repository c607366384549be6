package org.blvm.modules.governance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OutboxTest {
  @TempDir Path tmp;

  private Path dir() {
    return tmp.resolve("outbox");
  }

  @Test
  void add_reopened_sameNotificationsInOrder() throws Exception {
    Outbox o = Outbox.open(dir(), 10);
    o.add("k1", "EconomicNodeRegistered", "{\"a\":1}");
    o.add("k2", "status", "{\"é\":\"ü\"}");
    Outbox again = Outbox.open(dir(), 10);
    assertEquals(2, again.size());
    assertEquals(List.of(), again.problems());
    Notification head = again.head().orElseThrow();
    assertEquals("k1", head.key());
    assertEquals("EconomicNodeRegistered", head.type());
    assertEquals("{\"a\":1}", head.body());
    again.remove(head);
    Notification next = Outbox.open(dir(), 10).head().orElseThrow();
    assertEquals("k2", next.key());
    assertEquals("{\"é\":\"ü\"}", next.body());
  }

  @Test
  void add_afterReopen_continuesTheSequence() throws Exception {
    Outbox o = Outbox.open(dir(), 10);
    o.add("k1", "t", "{}");
    Outbox.open(dir(), 10).add("k2", "t", "{}");
    Outbox again = Outbox.open(dir(), 10);
    again.remove(again.head().orElseThrow());
    assertEquals("k2", again.head().orElseThrow().key());
    assertEquals(2, again.head().orElseThrow().seq());
  }

  @Test
  void add_full_dropsTheOldestAndReturnsIt() throws Exception {
    Outbox o = Outbox.open(dir(), 2);
    assertEquals(Optional.empty(), o.add("k1", "t", "{}"));
    assertEquals(Optional.empty(), o.add("k2", "t", "{}"));
    Optional<Notification> dropped = o.add("k3", "t", "{}");
    assertEquals("k1", dropped.orElseThrow().key());
    assertEquals(2, o.size());
    assertEquals(2, files().size());
    assertEquals("k2", Outbox.open(dir(), 2).head().orElseThrow().key());
  }

  @Test
  void add_bodyOverTheBound_refusedAndNothingWritten() throws Exception {
    Outbox o = Outbox.open(dir(), 2);
    String big = "x".repeat(Outbox.MAX_BODY + 1);
    Outbox.TooLargeException e =
        assertThrows(Outbox.TooLargeException.class, () -> o.add("k", "status", big));
    assertTrue(e.getMessage().contains("65537"), e.getMessage());
    assertEquals(0, o.size());
    assertEquals(List.of(), files());
  }

  @Test
  void open_tornFile_deletedReportedAndTheRestKept() throws Exception {
    Outbox o = Outbox.open(dir(), 10);
    o.add("k1", "t", "{\"first\":true}");
    o.add("k2", "t", "{\"second\":true}");
    o.add("k3", "t", "{\"third\":true}");
    Path second = dir().resolve(Outbox.fileName(2));
    byte[] whole = Files.readAllBytes(second);
    Files.write(second, Arrays.copyOf(whole, whole.length - 3)); // a write cut short
    Path third = dir().resolve(Outbox.fileName(3));
    byte[] flipped = Files.readAllBytes(third);
    flipped[flipped.length - 2] ^= 1; // same length, damaged content
    Files.write(third, flipped);
    Files.writeString(dir().resolve(Outbox.fileName(4) + ".tmp"), "v1 half");

    Outbox again = Outbox.open(dir(), 10);
    assertEquals(1, again.size());
    assertEquals("k1", again.head().orElseThrow().key());
    assertEquals(2, again.problems().size(), again.problems().toString());
    assertTrue(again.problems().get(0).contains(Outbox.fileName(2)), again.problems().toString());
    assertEquals(List.of(Outbox.fileName(1)), files());
    // the sequence goes on past the damaged files: a new one is not taken for an old one
    again.add("k5", "t", "{}");
    assertTrue(Files.exists(dir().resolve(Outbox.fileName(4))));
  }

  @Test
  void open_emptyOrHeaderOnlyFile_deleted() throws Exception {
    Files.createDirectories(dir());
    Files.write(dir().resolve(Outbox.fileName(7)), new byte[0]);
    Files.writeString(
        dir().resolve(Outbox.fileName(8)), "v1 00000000 5\n", StandardCharsets.US_ASCII);
    Outbox o = Outbox.open(dir(), 10);
    assertEquals(0, o.size());
    assertEquals(2, o.problems().size());
    assertEquals(List.of(), files());
  }

  @Test
  void open_moreThanTheBound_oldestDropped() throws Exception {
    Outbox o = Outbox.open(dir(), 5);
    for (int i = 1; i <= 5; i++) {
      o.add("k" + i, "t", "{}");
    }
    Outbox smaller = Outbox.open(dir(), 3);
    assertEquals(3, smaller.size());
    assertEquals("k3", smaller.head().orElseThrow().key());
    assertEquals(2, smaller.problems().size());
  }

  @Test
  void add_oneFileEachInTheDocumentedLayout_noTemporaryLeft_removeDeletesOnlyItsFile()
      throws Exception {
    Outbox o = Outbox.open(dir(), 10);
    o.add("gov-1", "EconomicNodeVeto", "{\"a\":\"é\"}");
    o.add("gov-2", "status", "{}");

    assertEquals(List.of("00000000000000000001.msg", "00000000000000000002.msg"), files());
    byte[] content = "gov-1\nEconomicNodeVeto\n{\"a\":\"é\"}".getBytes(StandardCharsets.UTF_8);
    java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
    crc.update(content);
    String header = "v1 " + String.format("%08x", crc.getValue()) + " " + content.length + "\n";
    byte[] expected = new byte[header.length() + content.length];
    System.arraycopy(header.getBytes(StandardCharsets.US_ASCII), 0, expected, 0, header.length());
    System.arraycopy(content, 0, expected, header.length(), content.length);
    assertArrayEquals(expected, Files.readAllBytes(dir().resolve("00000000000000000001.msg")));

    o.remove(o.head().orElseThrow());
    assertEquals(List.of("00000000000000000002.msg"), files());
  }

  @Test
  void open_wholeTemporaryFileOfACrashBeforeItsRename_deletedNeverDelivered() throws Exception {
    Outbox o = Outbox.open(dir(), 10);
    o.add("gov-kept", "status", "{}");
    // a crash after writing and forcing the temporary file, before the rename: a file that would
    // check out under its final name, and a half-written one
    Outbox other = Outbox.open(tmp.resolve("elsewhere"), 10);
    other.add("gov-a", "status", "{}");
    other.add("gov-unrenamed", "status", "{\"never\":true}");
    Files.copy(
        tmp.resolve("elsewhere").resolve(Outbox.fileName(2)),
        dir().resolve(Outbox.fileName(2) + ".tmp"));
    Files.writeString(dir().resolve(Outbox.fileName(3) + ".tmp"), "v1 0000");

    Outbox again = Outbox.open(dir(), 10);
    assertEquals(List.of(Outbox.fileName(1)), files());
    assertEquals(List.of(), again.problems(), "leftover temporary files are not damage");
    assertEquals(1, again.size());
    again.remove(again.head().orElseThrow());
    assertEquals(Optional.empty(), again.head(), "the temporary file's notification is not there");
  }

  @Test
  void remove_twice_noError() throws Exception {
    Outbox o = Outbox.open(dir(), 5);
    o.add("k1", "t", "{}");
    Notification n = o.head().orElseThrow();
    o.remove(n);
    o.remove(n);
    assertFalse(o.head().isPresent());
  }

  private List<String> files() throws Exception {
    try (var s = Files.list(dir())) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }
}
