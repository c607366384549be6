package org.blvm.sdk;

import java.io.FileDescriptor;
import java.util.function.BiPredicate;
import java.util.function.LongPredicate;
import org.blvm.protocol.Message;

/**
 * Who owns the descriptors that came with one frame from the node (docs/protocol.md §2.5): a
 * successful answer to a call waiting for a descriptor must carry exactly one, which that call then
 * owns; every other descriptor is closed here, before this returns, and otherwise ignored. The
 * close is the SDK's own even when the connection is closed next (a protocol violation):
 * junixsocket also closes, when its socket closes, every received descriptor still open, but that
 * is a safety net of the library, not the contract.
 */
final class DescriptorHandOver {
  private DescriptorHandOver() {}

  /**
   * Hands {@code fds} (null or empty when none came with {@code m}) to the call that waits for them
   * ({@code awaits}, {@code offer}: see {@link Calls#awaitsDescriptor}, {@link
   * Calls#offerDescriptor}) or closes them.
   *
   * @return a protocol violation (the answer carried none or more than one; all are closed), or
   *     null
   */
  static String handOver(
      Message m,
      FileDescriptor[] fds,
      LongPredicate awaits,
      BiPredicate<Long, FileDescriptor> offer) {
    int count = fds == null ? 0 : fds.length;
    if (m instanceof Message.Response r && r.error() == null && awaits.test(r.id())) {
      if (count == 1 && offer.test(r.id(), fds[0])) {
        return null;
      }
      IncomingFrames.closeAll(fds); // none, too many, or the call gave up meanwhile
      return count == 1
          ? null
          : "the answer to request "
              + r.id()
              + " carried "
              + count
              + " descriptors; a successful net_connect or net_listen answer carries exactly one";
    }
    if (count > 0) {
      IncomingFrames.closeAll(fds);
      System.getLogger("blvm.sdk")
          .log(
              System.Logger.Level.WARNING,
              "closed {0} unexpected descriptor(s) that came with a {1} from the node",
              Integer.toString(count),
              m.kind());
    }
    return null;
  }
}
