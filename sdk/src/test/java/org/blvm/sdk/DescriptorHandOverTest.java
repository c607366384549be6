package org.blvm.sdk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.blvm.protocol.ErrorCode;
import org.blvm.protocol.ErrorValue;
import org.blvm.protocol.Message;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The hand-over of a frame's descriptors on its own, on a connection that stays open: each case
 * that must close a descriptor is seen to close it here, before anything else could. (Through a
 * real connection, DescriptorCallsTest cannot tell for an answer with two descriptors: that answer
 * closes the connection, and junixsocket then closes every received descriptor still open.)
 */
final class DescriptorHandOverTest {
  private final List<FileInputStream> opened = new ArrayList<>();
  private final List<FileDescriptor> offered = new ArrayList<>();

  @AfterEach
  void closeAll() throws IOException {
    for (FileInputStream in : opened) {
      in.close();
    }
  }

  /** A real descriptor of this process (on /dev/null). */
  private FileDescriptor fd() throws IOException {
    FileInputStream in = new FileInputStream("/dev/null");
    opened.add(in);
    return in.getFD();
  }

  private static Message.Response ok(long id) {
    return Message.Response.ok(id, JsonNodeFactory.instance.objectNode());
  }

  /** Hands over as for a client whose call 7 waits for a descriptor and still takes it. */
  private String handOver(Message m, FileDescriptor... fds) {
    return DescriptorHandOver.handOver(
        m,
        fds,
        id -> id == 7,
        (id, fd) -> {
          offered.add(fd);
          return true;
        });
  }

  @Test
  void handOver_oneDescriptorForTheWaitingCall_offeredAndLeftOpen() throws Exception {
    FileDescriptor a = fd();

    assertNull(handOver(ok(7), a));

    assertEquals(List.of(a), offered);
    assertTrue(a.valid(), "the call owns it now");
  }

  @Test
  void handOver_twoDescriptorsForTheWaitingCall_violationAndBothClosedAtOnce() throws Exception {
    FileDescriptor a = fd();
    FileDescriptor b = fd();

    String violation = handOver(ok(7), a, b);

    assertTrue(violation.contains("carried 2 descriptors"), violation);
    assertFalse(a.valid(), "the first is closed");
    assertFalse(b.valid(), "the second is closed");
    assertTrue(offered.isEmpty());
  }

  @Test
  void handOver_noDescriptorForTheWaitingCall_violation() {
    String violation = handOver(ok(7));

    assertTrue(violation.contains("carried 0 descriptors"), violation);
  }

  @Test
  void handOver_callGaveUpMeanwhile_descriptorClosedNoViolation() throws Exception {
    FileDescriptor a = fd();

    String violation =
        DescriptorHandOver.handOver(ok(7), new FileDescriptor[] {a}, id -> true, (id, fd) -> false);

    assertNull(violation);
    assertFalse(a.valid());
  }

  @Test
  void handOver_descriptorsWithAnErrorAnswerOrAnotherFrame_closedNoViolation() throws Exception {
    FileDescriptor a = fd();
    FileDescriptor b = fd();
    FileDescriptor c = fd();

    assertNull(
        handOver(new Message.Response(7, null, ErrorValue.of(ErrorCode.NOT_CAPABLE, "no")), a));
    assertNull(handOver(ok(8), b, c)); // an answer to a call that waits for none

    assertFalse(a.valid());
    assertFalse(b.valid());
    assertFalse(c.valid());
    assertTrue(offered.isEmpty());
  }

  @Test
  void handOver_nullDescriptors_nothingToDo() {
    assertNull(DescriptorHandOver.handOver(ok(8), null, id -> false, (id, fd) -> true));
    assertTrue(offered.isEmpty());
  }
}
