package org.blvm.loader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Which processes the deleted-file count looks at: the module's own tree, found from the {@code
 * children} lists of its processes, down to a grandchild, and no other process.
 */
class DeletedFilesTest {
  @TempDir Path tmp;

  @Test
  void grandchildHoldingADeletedFile_counted() throws Exception {
    Path d = Files.createDirectory(tmp.resolve("m"));
    long dev = DataFs.statNoFollow(d.toString()).dev();
    // the holder is the grandchild of the started process: sh -> sh mid -> sh holder
    Path holder = tmp.resolve("holder.sh");
    Files.writeString(
        holder,
        "exec 3>\"$1\" && rm \"$1\" && head -c 1048576 /dev/zero >&3 && sync && echo ready"
            + " && exec sleep 120\n");
    Path mid = tmp.resolve("mid.sh");
    Files.writeString(mid, "sh \"$1\" \"$2\" & wait\n");
    Process p =
        new ProcessBuilder(
                "sh",
                "-c",
                "sh \"$1\" \"$2\" \"$3\" & wait",
                "sh",
                mid.toString(),
                holder.toString(),
                d.resolve("hidden").toString())
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    try {
      String line =
          new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.US_ASCII))
              .readLine();
      assertEquals("ready", line);
      List<Long> tree = ProcessTree.system().pids(p.pid());
      assertEquals(3, tree.size(), "sh, mid and holder: " + tree);
      assertEquals(new DeletedFiles.Count(1 << 20, 1, 0), DeletedFiles.count(p.pid(), dev, 1000));
    } finally {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly().waitFor();
    }
  }

  @Test
  void onlyTheModulesTree_isLookedAt_notOtherProcesses() throws Exception {
    Path d = Files.createDirectory(tmp.resolve("m"));
    long dev = DataFs.statNoFollow(d.toString()).dev();
    try (FileChannel mine = heldDeleted(d.resolve("mine"), 1 << 20);
        FileChannel other = heldDeleted(d.resolve("other"), 2 << 20)) {
      Path proc = Files.createDirectory(tmp.resolve("proc"));
      // the module: 100 -> 101 -> 102, the grandchild holding "mine"; 200 is another process of
      // the host holding "other", and 100's sibling
      fake(proc, 100, List.of(101L), null);
      fake(proc, 101, List.of(102L), null);
      fake(proc, 102, List.of(), ownFd(d.resolve("mine")));
      fake(proc, 200, List.of(), ownFd(d.resolve("other")));

      assertEquals(List.of(100L, 101L, 102L), new ProcessTree(proc).pids(100));
      assertEquals(new DeletedFiles.Count(1 << 20, 1, 0), DeletedFiles.count(proc, 100, dev, 10));
      assertEquals(new DeletedFiles.Count(2 << 20, 1, 0), DeletedFiles.count(proc, 200, dev, 10));
      assertEquals(DeletedFiles.Count.NONE, DeletedFiles.count(proc, 300, dev, 10), "gone");
      assertTrue(mine.isOpen() && other.isOpen());
    }
  }

  /** A fake /proc/PID: its children (one task) and, when given, fd 3 linking to {@code fd}. */
  private static void fake(Path proc, long pid, List<Long> kids, Path fd) throws Exception {
    Path dir = proc.resolve(Long.toString(pid));
    Path task = Files.createDirectories(dir.resolve("task").resolve(Long.toString(pid)));
    StringBuilder k = new StringBuilder();
    for (long kid : kids) {
      k.append(kid).append(' ');
    }
    Files.writeString(task.resolve("children"), k);
    Path fds = Files.createDirectory(dir.resolve("fd"));
    if (fd != null) {
      Files.createSymbolicLink(fds.resolve("3"), fd);
    }
  }

  /** A file of {@code bytes} written, then deleted, held open by this JVM through the channel. */
  private static FileChannel heldDeleted(Path file, int bytes) throws Exception {
    FileChannel c = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    ByteBuffer b = ByteBuffer.allocate(bytes);
    while (b.hasRemaining()) {
      c.write(b);
    }
    c.force(true);
    Files.delete(file);
    return c;
  }

  /** This JVM's /proc/PID/fd entry of the deleted {@code file}. */
  private static Path ownFd(Path file) throws Exception {
    Path fds = Path.of("/proc", Long.toString(ProcessHandle.current().pid()), "fd");
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(fds)) {
      for (Path fd : ds) {
        try {
          if (Files.readSymbolicLink(fd).toString().equals(file + " (deleted)")) {
            return fd;
          }
        } catch (java.io.IOException e) {
          // closed meanwhile
        }
      }
    }
    throw new AssertionError("no descriptor of " + file);
  }
}
