package org.blvm.sign;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import org.blvm.policy.IndexException;
import org.blvm.policy.IndexRecord;
import org.blvm.policy.IndexVerifier;
import org.blvm.policy.Policy;
import picocli.CommandLine.Option;

/** The {@code --index FILE|DIR} option, and verifying that index as the policy asks. */
final class IndexSource {
  @Option(
      names = "--index",
      required = true,
      paramLabel = "FILE|DIR",
      description = "The module index: a file, or a directory holding index.toml.")
  Path index;

  /**
   * The index, verified against the policy's index keys, not expired, and not older than the newest
   * of its name seen before (which it becomes when it is newer).
   */
  IndexVerifier.Verified verify(Policy policy, Path stateDir, Clock clock)
      throws IndexException, IOException {
    Path file = IndexVerifier.indexFile(index);
    IndexVerifier.Verified v = IndexVerifier.verify(file, policy.indexTrust(), clock);
    IndexRecord.open(stateDir, file).accept(v);
    return v;
  }
}
