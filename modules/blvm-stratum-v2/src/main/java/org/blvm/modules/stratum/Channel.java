package org.blvm.modules.stratum;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;

/**
 * One standard channel (section "Standard Channel" of the Mining Protocol): its id, its {@code
 * extranonce_prefix} (the whole extranonce of its coinbase), its target, and the jobs valid for
 * shares. It turns jobs into {@code NewMiningJob}/{@code SetNewPrevHash} and checks shares.
 *
 * <p>Thread-safe: the connection's reader thread checks shares while the event thread offers new
 * jobs; both take this object's monitor, which is never held across I/O (the messages it returns
 * are queued by the caller).
 */
final class Channel {
  /** BIP 320's general-purpose version bits, which a miner may roll on a standard job. */
  static final long VERSION_ROLLING_MASK = 0x1fffe000L;

  /** Jobs kept valid for one prev hash; an older one is a stale share. */
  static final int MAX_JOBS = 8;

  /** Shares remembered to refuse duplicates. */
  static final int MAX_REMEMBERED_SHARES = 4096;

  /** How far a share's ntime may lie after the job's min_ntime (Bitcoin's 2 hours). */
  static final long MAX_NTIME_AHEAD = 7200;

  /** The result of a share: {@code errorCode} null when accepted; {@code block} if it is one. */
  record Outcome(String errorCode, Job job, Bytes32 hash, byte[] header, boolean block) {
    Outcome {
      header = header == null ? null : header.clone();
    }

    static Outcome error(String code) {
      return new Outcome(code, null, null, null, false);
    }

    @Override
    public byte[] header() {
      return header == null ? null : header.clone();
    }
  }

  private record Active(Job job, Bytes32 merkleRoot) {}

  private final long id;
  private final byte[] extranoncePrefix;
  private final BigInteger target;
  private final Map<Long, Active> jobs = new LinkedHashMap<>();
  private final Set<String> seen = new LinkedHashSet<>();
  private Bytes32 prevHash;
  private long latestJob = -1;

  Channel(long id, byte[] extranoncePrefix, BigInteger target) {
    this.id = id;
    this.extranoncePrefix = extranoncePrefix.clone();
    this.target = target;
  }

  long id() {
    return id;
  }

  BigInteger target() {
    return target;
  }

  String extranoncePrefixHex() {
    return HexFormat.of().formatHex(extranoncePrefix);
  }

  /**
   * The messages that move this channel onto {@code job}; none when it already has it (or a later
   * one). A new prev hash: the job as a future job and {@code SetNewPrevHash} naming it, and every
   * earlier job stops being valid. The same prev hash: the job with {@code min_ntime} set, active
   * at once, the earlier ones staying valid (at most {@link #MAX_JOBS}).
   */
  synchronized List<Sv2Message> offer(Job job) {
    if (job.id() <= latestJob) {
      return List.of();
    }
    latestJob = job.id();
    Bytes32 root = job.merkleRoot(extranoncePrefix);
    List<Sv2Message> out = new ArrayList<>(2);
    if (!job.prevHash().equals(prevHash)) {
      prevHash = job.prevHash();
      jobs.clear();
      seen.clear();
      out.add(new Sv2Message.NewMiningJob(id, job.id(), OptionalLong.empty(), job.version(), root));
      out.add(
          new Sv2Message.SetNewPrevHash(id, job.id(), job.prevHash(), job.minNtime(), job.bits()));
    } else {
      out.add(
          new Sv2Message.NewMiningJob(
              id, job.id(), OptionalLong.of(job.minNtime()), job.version(), root));
    }
    jobs.put(job.id(), new Active(job, root));
    while (jobs.size() > MAX_JOBS) {
      Long first = jobs.keySet().iterator().next();
      jobs.remove(first);
    }
    return out;
  }

  /**
   * Checks a share against this channel's target. Error codes: {@code stale-share} (a job no longer
   * valid), {@code invalid-job-id} (a job never sent), {@code invalid-version} (bits other than BIP
   * 320's changed), {@code invalid-timestamp} (ntime before the job's min_ntime or more than 2
   * hours after it), {@code duplicate-share}, {@code difficulty-too-low} (the header hash is above
   * the channel's target).
   */
  synchronized Outcome check(Sv2Message.SubmitSharesStandard s) {
    Active a = jobs.get(s.jobId());
    if (a == null) {
      return Outcome.error(s.jobId() <= latestJob ? "stale-share" : "invalid-job-id");
    }
    Job job = a.job();
    if (((s.version() ^ job.version()) & ~VERSION_ROLLING_MASK) != 0) {
      return Outcome.error("invalid-version");
    }
    if (s.ntime() < job.minNtime() || s.ntime() > job.minNtime() + MAX_NTIME_AHEAD) {
      return Outcome.error("invalid-timestamp");
    }
    String key =
        Long.toString(s.jobId())
            + ":"
            + Long.toString(s.nonce())
            + ":"
            + Long.toString(s.ntime())
            + ":"
            + Long.toString(s.version());
    if (seen.contains(key)) {
      return Outcome.error("duplicate-share");
    }
    byte[] header = job.header(a.merkleRoot(), s.ntime(), s.version(), s.nonce());
    Bytes32 hash = Job.hash(header);
    BigInteger n = Job.asNumber(hash);
    if (n.compareTo(target) > 0) {
      return new Outcome("difficulty-too-low", job, hash, header, false);
    }
    seen.add(key);
    if (seen.size() > MAX_REMEMBERED_SHARES) {
      seen.remove(seen.iterator().next());
    }
    return new Outcome(null, job, hash, header, n.compareTo(job.networkTarget()) <= 0);
  }

  /** The coinbase extranonce of this channel's blocks. */
  byte[] extranonce() {
    return extranoncePrefix.clone();
  }
}
